// Loads JSON vector files from test/vectors/ (each names its origin in "source").
import { readFileSync } from 'node:fs';

export function loadVector<T>(relative: string): T & { source: string } {
  const data = JSON.parse(readFileSync(new URL(`../vectors/${relative}`, import.meta.url), 'utf8')) as T & { source: string };
  if (typeof data.source !== 'string' || data.source === '') throw new Error(`${relative} has no source`);
  return data;
}
