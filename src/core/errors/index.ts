export * from './domain-error';
export * from './mail-error';
