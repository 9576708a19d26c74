/**
 * Renders a kustomization the way `kubectl apply -k` would, for the subset this repository uses:
 * `resources` (files, or folders with their own kustomization), `patches` given by `path`
 * (strategic-merge patches: objects merge key by key, lists of named items merge by `name`, other
 * lists are replaced), `images` (newName/newTag), `namespace` and `labels` (metadata only). There
 * is no kustomize in JavaScript; test/kubernetes.test.ts validates what this renders, and renders
 * the production overlay to compare with the base. Anything else in a kustomization is refused, so
 * a feature this does not know is never silently ignored.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  labels?: { pairs: Record<string, string> }[];
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches', 'images', 'labels']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

const readDocuments = (file: string): Manifest[] =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((document) => document.toJS() as Manifest).filter((document) => document !== null);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Strategic merge of `patch` into `target` (both plain YAML data). */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (isObject(target) && isObject(patch)) {
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch)) merged[key] = key in target ? strategicMerge(target[key], value) : value;
    return merged;
  }
  if (Array.isArray(target) && Array.isArray(patch) && [...target, ...patch].every((item) => isObject(item) && typeof item.name === 'string')) {
    const merged = target.map((item) => {
      const update = patch.find((candidate) => (candidate as { name: string }).name === (item as { name: string }).name);
      return update ? strategicMerge(item, update) : item;
    });
    return [...merged, ...patch.filter((item) => !target.some((existing) => (existing as { name: string }).name === (item as { name: string }).name))];
  }
  return patch;
}

function retag(image: string, rules: NonNullable<Kustomization['images']>): string {
  const [name] = image.split(':') as [string];
  const rule = rules.find((candidate) => candidate.name === name);
  if (!rule) return image;
  return `${rule.newName ?? name}:${rule.newTag ?? image.split(':')[1] ?? ''}`;
}

function podSpecs(manifest: Manifest): Array<{ containers?: { image?: string }[]; initContainers?: { image?: string }[] }> {
  const spec = manifest.spec as { template?: { spec?: object }; jobTemplate?: { spec?: { template?: { spec?: object } } } } | undefined;
  return [spec?.template?.spec, spec?.jobTemplate?.spec?.template?.spec].filter(Boolean) as never;
}

/** The manifests `kubectl apply -k <folder>` would apply. */
export function renderKustomization(folder: string): Manifest[] {
  const file = path.join(folder, 'kustomization.yaml');
  const kustomization = parse(readFileSync(file, 'utf8')) as Kustomization;
  const unknown = Object.keys(kustomization).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) throw new Error(`${file}: kustomize-lite does not handle ${unknown.join(', ')}`);

  let manifests: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) {
    const target = path.resolve(folder, resource);
    if (!existsSync(target)) throw new Error(`${file}: resource ${resource} does not exist`);
    manifests.push(...(statSync(target).isDirectory() ? renderKustomization(target) : readDocuments(target)));
  }
  for (const { path: patchPath } of kustomization.patches ?? []) {
    for (const patch of readDocuments(path.resolve(folder, patchPath))) {
      const index = manifests.findIndex((manifest) => manifest.kind === patch.kind && manifest.metadata.name === patch.metadata.name && manifest.apiVersion === patch.apiVersion);
      if (index < 0) throw new Error(`${patchPath}: no ${patch.apiVersion} ${patch.kind} ${patch.metadata.name} to patch`);
      manifests[index] = strategicMerge(manifests[index], patch) as Manifest;
    }
  }
  manifests = manifests.map((manifest) => structuredClone(manifest));
  for (const manifest of manifests) {
    for (const spec of podSpecs(manifest)) {
      for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        if (container.image) container.image = retag(container.image, kustomization.images ?? []);
      }
    }
    if (kustomization.namespace && !CLUSTER_SCOPED.has(manifest.kind)) manifest.metadata.namespace = kustomization.namespace;
    for (const { pairs } of kustomization.labels ?? []) manifest.metadata.labels = { ...manifest.metadata.labels, ...pairs };
  }
  return manifests;
}
