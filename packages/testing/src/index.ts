export * from './client';
export * from './databases';
export * from './stack';
export * from './sql';
export * from './marketplace';
