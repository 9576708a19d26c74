export * from './keys';
export * from './processes';
export * from './stack';
