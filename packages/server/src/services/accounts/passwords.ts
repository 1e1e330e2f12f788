import { hash, verify } from '@node-rs/argon2';

/** Shortest and longest password accepted, in characters (long ones only cost hashing time). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Hashes a password with argon2id at the library's defaults (m = 19 MiB, t = 2, p = 1: the OWASP
 * minimum), salted; the result is a PHC string that names its own parameters.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * Whether `password` matches `phc` (the comparison inside is constant-time). False, not an error,
 * for a malformed hash, so a damaged row reads as a wrong password rather than a crash.
 */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}
