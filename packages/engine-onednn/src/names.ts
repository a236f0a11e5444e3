/** The tfjs backend name this package registers. */
export const BACKEND_NAME = 'onednn';
