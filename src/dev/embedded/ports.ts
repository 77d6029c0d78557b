import getPort from 'get-port';

/** A system PostgreSQL's home port: an embedded server never takes it, even when it is free. */
const SYSTEM_POSTGRES_PORT = 5432;

/** A free TCP port on 127.0.0.1 (get-port asks the kernel), never 5432. */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await getPort({ host: '127.0.0.1' });
    if (port !== SYSTEM_POSTGRES_PORT) return port;
  }
  throw new Error('Could not find a free TCP port on 127.0.0.1');
}
