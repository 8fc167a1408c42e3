/** The network layer every kind that connects or classifies network errors uses. */
export * from './certs';
export * from './connect';
export * from './errors';
export * from './timing';
