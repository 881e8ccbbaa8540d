/**
 * The owner of queues declared through the administrative service (the management API, definitions imports).
 * Exclusive queues make no sense without a connection, so these declares never pass exclusive; this object only
 * satisfies VirtualHost's owner parameter.
 */
export const MANAGEMENT_OWNER: object = Object.freeze({ owner: 'management API' });
