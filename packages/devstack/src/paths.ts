import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const migrationsDir = (service: string) => path.join(REPO_ROOT, 'subgraphs', service, 'prisma', 'migrations');
export const prismaSchemaPath = (service: string) => path.join(REPO_ROOT, 'subgraphs', service, 'prisma', 'schema.prisma');
