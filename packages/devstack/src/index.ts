export * from './keys';
export * from './processes';
export * from './service-database';
export * from './stack';
