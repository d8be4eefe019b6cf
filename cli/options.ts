import { InvalidArgumentError } from 'commander';

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError(
      `"${value}" is not a port number (0–65535; 0 picks a free port)`,
    );
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}
