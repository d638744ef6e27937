import { z } from 'zod';
import { isLoopback } from '../../../core/agent-api/client';

const URL_EXAMPLE = 'https://dispatcher.example.com';

/**
 * `dispatcher` section of the agent config: where the agent reports a freed slot
 * (`POST <url>/v1/slots/free`, slot-callback/slot-free-notifier.ts). Optional: without it the
 * dispatcher only learns of free slots from its reconcile pass. Plain HTTP is refused off loopback
 * unless `allowInsecure`, as the agent client refuses it (core/agent-api/client.ts) and `serve`
 * refuses to listen on it without `--insecure-http`: the request is signed, not encrypted.
 */
export const dispatcherConfigSchema = z
  .strictObject({
    url: z.string().superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected an absolute http(s) URL like ${URL_EXAMPLE}, got '${value}'` });
        return;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        ctx.addIssue({ code: 'custom', message: `expected an https: (or http:) URL like ${URL_EXAMPLE}, got the scheme '${url.protocol}'` });
      } else if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
        // Credentials in a URL end up in logs; the request is signed with the agent secret instead.
        ctx.addIssue({ code: 'custom', message: `expected a URL without user info, query or fragment like ${URL_EXAMPLE}, got one with ${url.username || url.password ? 'user info' : url.search ? 'a query' : 'a fragment'}` });
      }
    }),
    /** Per request; a callback that takes longer is counted as `timeout` and not retried. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** Permit plain `http://` to a non-loopback host (a trusted network only). */
    allowInsecure: z.boolean().default(false),
  })
  .superRefine((d, ctx) => {
    let url: URL;
    try {
      url = new URL(d.url);
    } catch {
      return;
    }
    if (url.protocol === 'http:' && !isLoopback(url.hostname) && !d.allowInsecure) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `expected https: for a non-loopback host (or dispatcher.allowInsecure: true on a trusted network), got plain http to '${url.hostname}'`,
      });
    }
  });
export type DispatcherConfig = z.infer<typeof dispatcherConfigSchema>;
