import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';

/**
 * Loads `.env` from the working directory into process.env, for development. Imported for its
 * effect as the first module of every entry point, because the logger and the configuration read
 * process.env when they load.
 *
 * Rules: variables already set in the environment always win over the file; a missing file is
 * not an error; and with NODE_ENV=production in the real environment the file is ignored, so a
 * stray `.env` copied next to a production build can never change its settings (production takes
 * its settings from the orchestrator's environment only). The values the file provides are then
 * validated by loadConfig like any other.
 */
export function loadEnvFile(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { loaded: boolean; path: string } {
  const file = path.join(cwd, '.env');
  if (env.NODE_ENV === 'production' || !fs.existsSync(file)) return { loaded: false, path: file };
  dotenv.config({
    path: file,
    processEnv: env as Record<string, string>,
    quiet: true,
    override: false,
  });
  return { loaded: true, path: file };
}

loadEnvFile();
