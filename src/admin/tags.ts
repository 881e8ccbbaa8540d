/** RabbitMQ tags arrive as "a,b" or ["a","b"]. */
export function parseTags(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const parts = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return parts.map((t) => t.trim()).filter((t) => t !== '');
}
