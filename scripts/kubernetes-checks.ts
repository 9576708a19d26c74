/**
 * Checks of rendered Kubernetes manifests: every document against its API schema (Kubernetes's own
 * through kubernetes-models, the operators' CRD schemas through @kubernetes-models/strimzi-kafka-operator
 * and @kubernetes-models/cloudnative-pg), then the deployment rules of deploy/README.md.
 */
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as core from 'kubernetes-models/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as strimzi from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2';
import * as cnpg from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1';
import type { Manifest } from './kustomize-lite';

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'batch/v1': batch,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
  'kafka.strimzi.io/v1beta2': strimzi,
  'postgresql.cnpg.io/v1': cnpg,
};

/** Schema errors, one line per failing document (empty when every document is valid). */
export function schemaErrors(manifests: Manifest[]): string[] {
  const errors: string[] = [];
  for (const manifest of manifests) {
    const model = MODELS[manifest.apiVersion]?.[manifest.kind] as Model | undefined;
    const where = `${manifest.apiVersion} ${manifest.kind} ${manifest.metadata?.name}`;
    if (!model) {
      errors.push(`${where}: no schema known for this kind`);
      continue;
    }
    try {
      new model(manifest as never).validate();
    } catch (error) {
      errors.push(`${where}: ${error instanceof Error ? error.message.split('\n').slice(0, 4).join(' ') : String(error)}`);
    }
  }
  return errors;
}

interface Container {
  name: string;
  image?: string;
  readinessProbe?: { httpGet?: { path?: string } };
  livenessProbe?: { httpGet?: { path?: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean };
}
const podSpec = (manifest: Manifest): PodSpec => (manifest.spec as { template: { spec: PodSpec } }).template.spec;
const labelsOf = (manifest: Manifest): Record<string, string> => (manifest.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.entries(selector).every(([key, value]) => labels[key] === value);

interface PolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
}
interface PolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes?: string[];
  egress?: { to?: PolicyPeer[] }[];
}
const isDns = (peer: PolicyPeer) =>
  peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' && peer.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns';

/**
 * Where pods with these labels may connect, by the egress policies that select them: undefined when
 * none restricts them (anywhere), else every peer the rules allow (`{}` for a rule with no `to`).
 */
function egressPeers(policies: Manifest[], podLabels: Record<string, string>): PolicyPeer[] | undefined {
  const restricting = policies.map((policy) => policy.spec as PolicySpec).filter((spec) => spec.policyTypes?.includes('Egress') && matches(spec.podSelector.matchLabels ?? {}, podLabels));
  if (restricting.length === 0) return undefined;
  return restricting.flatMap((spec) => (spec.egress ?? []).flatMap((rule) => rule.to ?? [{}])).filter((peer) => !isDns(peer));
}

/** Violations of the deployment rules; `subgraphs` are the services that must each be complete. */
export function policyViolations(manifests: Manifest[], subgraphs: readonly string[]): string[] {
  const violations: string[] = [];
  const of = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
  const deployments = of('Deployment');
  const jobs = of('Job');

  for (const manifest of [...deployments, ...jobs]) {
    const spec = podSpec(manifest);
    const where = `${manifest.kind} ${manifest.metadata.name}`;
    for (const container of spec.containers) {
      const image = container.image ?? '';
      const tag = image.includes('@') ? 'digest' : image.split('/').pop()!.split(':')[1];
      if (!tag || tag === 'latest') violations.push(`${where}/${container.name}: image "${image}" must name a version, not latest`);
      if (!(container.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot)) violations.push(`${where}/${container.name}: must run as non-root`);
      if (container.securityContext?.allowPrivilegeEscalation !== false) violations.push(`${where}/${container.name}: must set allowPrivilegeEscalation: false`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) if (!container.resources?.[kind]?.[resource]) violations.push(`${where}/${container.name}: no ${resource} ${kind}`);
      }
      if (manifest.kind === 'Deployment') {
        if (container.readinessProbe?.httpGet?.path !== '/ready') violations.push(`${where}/${container.name}: readiness probe must GET /ready`);
        if (container.livenessProbe?.httpGet?.path !== '/health') violations.push(`${where}/${container.name}: liveness probe must GET /health`);
      }
    }
  }
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const replicas = (deployment.spec as { replicas?: number }).replicas ?? 1;
    if (replicas < 2) violations.push(`Deployment ${name}: ${replicas} replica(s); at least 2`);
    const hpa = of('HorizontalPodAutoscaler').find((candidate) => (candidate.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === name);
    if (!hpa) violations.push(`Deployment ${name}: no HorizontalPodAutoscaler`);
    else if (((hpa.spec as { minReplicas?: number }).minReplicas ?? 1) < 2) violations.push(`HorizontalPodAutoscaler ${name}: minReplicas below 2`);
    if (!of('PodDisruptionBudget').some((pdb) => matches((pdb.spec as { selector: { matchLabels?: Record<string, string> } }).selector.matchLabels, labelsOf(deployment)))) {
      violations.push(`Deployment ${name}: no PodDisruptionBudget`);
    }
  }
  const policies = of('NetworkPolicy');
  if (!policies.some((candidate) => Object.keys((candidate.spec as { podSelector: { matchLabels?: object } }).podSelector.matchLabels ?? {}).length === 0 && !(candidate.spec as { ingress?: unknown }).ingress)) {
    violations.push('no default-deny ingress NetworkPolicy');
  }
  for (const name of subgraphs) {
    if (!deployments.some((deployment) => deployment.metadata.name === name)) violations.push(`subgraph ${name}: no Deployment`);
    if (!jobs.some((job) => job.metadata.name === `migrate-${name}`)) violations.push(`subgraph ${name}: no migration Job`);
    if (!of('Cluster').some((cluster) => cluster.metadata.name === `${name}-db`)) violations.push(`subgraph ${name}: no CloudNativePG Cluster`);
    // Every rule letting traffic into the subgraph's pods names the router as the only source.
    const rules = policies.filter((candidate) => matches((candidate.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels, { 'app.kubernetes.io/name': name }));
    const sources = rules.flatMap((rule) => ((rule.spec as { ingress?: { from?: { podSelector?: { matchLabels?: Record<string, string> } }[] }[] }).ingress ?? []).flatMap((ingress) => ingress.from ?? [{}]));
    if (rules.length === 0 || sources.some((source) => source.podSelector?.matchLabels?.['app.kubernetes.io/name'] !== 'router')) {
      violations.push(`subgraph ${name}: must accept traffic from the router only`);
    }
    const databaseRules = policies.filter((candidate) => matches((candidate.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector.matchLabels, { 'cnpg.io/cluster': `${name}-db` }));
    const databaseClients = databaseRules.flatMap((rule) =>
      ((rule.spec as { ingress?: { from?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port?: number }[] }[] }).ingress ?? [])
        .filter((ingress) => (ingress.ports ?? [{}]).some((port) => port.port === undefined || port.port === 5432))
        .flatMap((ingress) => ingress.from ?? [{}]),
    );
    const strangers = databaseClients.filter((source) => {
      const labels = source.podSelector?.matchLabels ?? {};
      return labels['app.kubernetes.io/name'] !== name && labels['cnpg.io/cluster'] !== `${name}-db`;
    });
    if (databaseRules.length === 0 || strangers.length > 0) violations.push(`database ${name}-db: must accept connections from ${name} only`);

    // Outgoing: its own database and Kafka's brokers, nothing else (DNS aside).
    const deployment = deployments.find((candidate) => candidate.metadata.name === name);
    const reaches = deployment && egressPeers(policies, labelsOf(deployment));
    const ownDatabase = (peer: PolicyPeer) => peer.podSelector?.matchLabels?.['cnpg.io/cluster'] === `${name}-db`;
    const kafka = (peer: PolicyPeer) => peer.podSelector?.matchLabels?.['strimzi.io/kind'] === 'Kafka' && !peer.namespaceSelector;
    if (deployment && (!reaches || reaches.some((peer) => !ownDatabase(peer) && !kafka(peer)))) {
      violations.push(`subgraph ${name}: must connect to its own database and Kafka only`);
    }
  }
  const router = deployments.find((deployment) => deployment.metadata.name === 'router');
  if (router) {
    const reaches = egressPeers(policies, labelsOf(router));
    if (!reaches || reaches.some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/component'] !== 'subgraph' || peer.namespaceSelector)) {
      violations.push('router: must connect to the subgraphs only');
    }
    const routed = of('Ingress').some((ingress) =>
      ((ingress.spec as { rules?: { http?: { paths?: { backend?: { service?: { name?: string } } }[] } }[] }).rules ?? []).some((rule) =>
        (rule.http?.paths ?? []).some((route) => route.backend?.service?.name === 'router'),
      ),
    );
    if (!routed) violations.push('router: no Ingress routes to it');
  }
  return violations;
}
