export * from './environment';
export * from './keys';
export * from './paths';
export * from './processes';
export * from './stack';
