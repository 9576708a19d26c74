export * from './topology';
export * from './wiring';
