/*
 * deploy/kubernetes, validated without a cluster: the base is what scripts/kubernetes-manifests.ts
 * generates; base and production overlay (rendered by scripts/kustomize-lite.ts) pass the
 * Kubernetes API schemas and the Strimzi and CloudNativePG CRD schemas, and the deployment rules;
 * and a planted error fails both checks.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SUBGRAPHS } from '@bazaar/router';
import { ALL_TOPICS } from '@bazaar/contracts';
import { BASE_DIR, baseFiles, renderBaseFile } from '../scripts/kubernetes-manifests';
import { policyViolations, schemaErrors } from '../scripts/kubernetes-checks';
import { renderKustomization, type Manifest } from '../scripts/kustomize-lite';

const KUBERNETES = fileURLToPath(new URL('../deploy/kubernetes/', import.meta.url));
const NAMES = SUBGRAPHS.map(({ name }) => name);
const base = renderKustomization(path.join(KUBERNETES, 'base'));
const production = renderKustomization(path.join(KUBERNETES, 'overlays/production'));
const find = (manifests: Manifest[], kind: string, name: string) => manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name)!;

describe('deploy/kubernetes', () => {
  it('base is what the generator writes (run npm run k8s:generate after changing it)', () => {
    for (const [file, documents] of Object.entries(baseFiles())) expect(readFileSync(path.join(BASE_DIR, file), 'utf8'), file).toBe(renderBaseFile(documents));
  });

  it.each([
    ['base', base],
    ['production', production],
  ])('%s passes the Kubernetes, Strimzi and CloudNativePG schemas and the deployment rules', (name, manifests) => {
    expect(schemaErrors(manifests)).toEqual([]);
    expect(policyViolations(manifests, NAMES)).toEqual([]);
    const kinds = [...new Set(manifests.map((manifest) => manifest.kind))].sort();
    console.log(`${name}: ${manifests.length} manifests valid (${kinds.join(', ')})`);
  });

  it('runs Kafka and every topic through Strimzi and each database through CloudNativePG', () => {
    expect(production.filter((manifest) => manifest.kind === 'KafkaTopic').map((topic) => (topic.spec as { topicName: string }).topicName).sort()).toEqual([...ALL_TOPICS].sort());
    expect(production.filter((manifest) => manifest.kind === 'StatefulSet')).toEqual([]);
    for (const name of NAMES) expect((find(production, 'Cluster', `${name}-db`).spec as { instances: number }).instances).toBe(3);
    expect((find(production, 'KafkaNodePool', 'dual-role').spec as { replicas: number }).replicas).toBe(3);
  });

  it('production pulls released images from its registry, in its namespace', () => {
    const images = production.flatMap((manifest) =>
      manifest.kind === 'Deployment' || manifest.kind === 'Job' ? (manifest.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers.map(({ image }) => image) : [],
    );
    expect(new Set(images)).toEqual(new Set(['registry.example.com/book-bazaar:0.1.0', 'registry.example.com/book-bazaar-migrate:0.1.0']));
    expect(production.filter((manifest) => manifest.kind !== 'Namespace' && manifest.metadata.namespace !== 'book-bazaar')).toEqual([]);
  });

  it('fails on planted errors: a latest tag, a missing probe, a replica count the schema refuses, an open database, open egress, no Ingress', () => {
    const planted = structuredClone(production);
    const books = find(planted, 'Deployment', 'books').spec as { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } };
    books.template.spec.containers[0]!.image = 'registry.example.com/book-bazaar:latest';
    delete books.template.spec.containers[0]!.readinessProbe;
    (find(planted, 'Deployment', 'orders').spec as { replicas: unknown }).replicas = 'two';
    const usersDatabase = find(planted, 'NetworkPolicy', 'users-db-from-users').spec as { ingress: { from: unknown[] }[] };
    usersDatabase.ingress[0]!.from.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'books' } } });
    const cartEgress = find(planted, 'NetworkPolicy', 'cart-egress').spec as { egress: { to: unknown[] }[] };
    cartEgress.egress[0]!.to.push({ podSelector: { matchLabels: { 'cnpg.io/cluster': 'orders-db' } } });
    const withoutIngress = planted.filter((manifest) => manifest.kind !== 'Ingress');

    const errors = schemaErrors(withoutIngress);
    const violations = policyViolations(withoutIngress, NAMES);
    console.log(`planted errors caught:\n  schema: ${errors.join('\n  schema: ')}\n  policy: ${violations.join('\n  policy: ')}`);
    expect(errors).toEqual([expect.stringMatching(/^apps\/v1 Deployment orders: .*replicas/)]);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Deployment books\/books: image ".*:latest" must name a version/),
        'Deployment books/books: readiness probe must GET /ready',
        'database users-db: must accept connections from users only',
        'subgraph cart: must connect to its own database and Kafka only',
        'router: no Ingress routes to it',
      ]),
    );
  });
});
