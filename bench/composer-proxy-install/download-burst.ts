import http from "node:http";

/**
 * The download phase of `composer install` without composer: GETs every URL, `parallel` at a time
 * over keep-alive connections (Composer 2's HTTP downloader runs up to 12 transfers at once), and
 * returns the wall time in ms. Any status other than 200 throws.
 */
export async function downloadBurst(
  urls: readonly string[],
  headers: Record<string, string>,
  parallel = 12,
): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel });
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next++]!;
      await get(url, headers, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, urls.length) }, worker));
    return performance.now() - started;
  } finally {
    agent.destroy();
  }
}

async function get(url: string, headers: Record<string, string>, agent: http.Agent): Promise<void> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1") throw new Error(`refusing a non-loopback URL: ${url}`);
  return new Promise((resolve, reject) => {
    const request = http.get(target, { headers, agent, timeout: 30_000 }, (response) => {
      response.resume();
      response.on("end", () => {
        if (response.statusCode === 200) resolve();
        else reject(new Error(`GET ${url}: HTTP ${response.statusCode ?? 0}`));
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`timeout: GET ${url}`)));
    request.on("error", reject);
  });
}
