export * from './keys';
export * from './processes';
export * from './service-database';
export * from './stack';
export { fromTypeScript } from './service-bundles';
