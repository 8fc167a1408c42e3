/** Alarm specs, settings, maintenance windows and the metric contract they read. */
export * from './metrics';
export * from './names';
export * from './settings';
export * from './maintenance';
export * from './specs';
