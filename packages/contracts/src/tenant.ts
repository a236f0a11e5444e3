/** Tenant names, as `trainyard keys` and the admin API accept them. */
export const TENANT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$';
export const TENANT_NAME_RULE = '1-100 letters, digits, "_", ".", "@" or "-", starting with a letter or digit';
