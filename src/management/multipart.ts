/*
 * The web UI's definitions upload: a multipart/form-data body with the document in its `file` field.
 */

/**
 * The `file` field of a multipart/form-data body (RabbitMQ's web UI uploads a definitions file so), or undefined
 * when the body has none. `body` is the request body as text, `contentType` its header (which names the boundary).
 */
export function multipartFile(body: string, contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return undefined;
  const delimiter = `--${boundary}`;
  for (const part of body.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
    if (!/;\s*name="?file"?(;|\s|$)/i.test(disposition)) continue;
    // The part's content ends with the CRLF before the next delimiter.
    const content = part.slice(headerEnd + 4);
    return content.endsWith('\r\n') ? content.slice(0, -2) : content;
  }
  return undefined;
}
