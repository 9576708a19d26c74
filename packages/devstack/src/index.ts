export * from './keys';
export * from './processes';
export * from './stack';
export { fromTypeScript } from './service-bundles';
