import { arrayOf, NULLABLE_NUMBER, NUMBER, object, STRING } from './common';

/** A queue view's `leveret_health` (admin/views/health.ts). */
export const healthJson = object({
  oldest_ready_age_ms: NUMBER,
  consumer_utilisation: NUMBER,
  time_to_empty_s: NULLABLE_NUMBER,
  state: STRING,
});

/** GET /api/leveret/health/queues. */
export const queueHealthList = object({
  total: NUMBER,
  items: arrayOf(object({ name: STRING, vhost: STRING, messages_ready: NUMBER, consumers: NUMBER, leveret_health: healthJson })),
});
