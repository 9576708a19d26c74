/**
 * Writes deploy/kubernetes/base from the list of subgraphs, so a new subgraph gets its Deployment,
 * Service, autoscaler, disruption budget, migration Job, database and network rules by being added
 * to SUBGRAPHS. The files are committed; test/kubernetes.test.ts fails when they drift from this.
 *
 *   npm run k8s:generate
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { SUBGRAPHS } from '../router/src/subgraphs';
import { ALL_TOPICS } from '@bazaar/contracts';

export const BASE_DIR = fileURLToPath(new URL('../deploy/kubernetes/base/', import.meta.url));

/** Image names the overlays retag (kustomize `images:`); base tags name the release they were written for. */
export const RUNTIME_IMAGE = 'book-bazaar';
export const MIGRATE_IMAGE = 'book-bazaar-migrate';
const RELEASE = '0.1.0';
const KAFKA_CLUSTER = 'bazaar-kafka';
const PART_OF = { 'app.kubernetes.io/part-of': 'book-bazaar' };

type Manifest = Record<string, unknown>;

const labels = (name: string, component: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component, ...PART_OF });
const selector = (name: string) => ({ 'app.kubernetes.io/name': name });
export const databaseCluster = (service: string) => `${service}-db`;

/** Every container: no root, no privilege escalation, nothing writable but /tmp. */
const containerSecurity = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};
const podSecurity = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const tmpVolume = { volumes: [{ name: 'tmp', emptyDir: {} }] };
const tmpMount = { volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] };

/** The cluster's DNS, which every pod with restricted egress still needs to find a Service. */
const DNS_EGRESS = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};
const databaseEgress = (database: string) => ({ to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': database } } }], ports: [{ protocol: 'TCP', port: 5432 }] });
/** Where the pods matching `podSelector` may connect: nowhere else (DNS included in `egress`). */
const egressOnly = (name: string, component: string, podSelector: Record<string, string>, egress: object[]): Manifest => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: `${name}-egress`, labels: labels(name, component) },
  spec: { podSelector: { matchLabels: podSelector }, policyTypes: ['Egress'], egress: [...egress, DNS_EGRESS] },
});

const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

function workload(options: { name: string; component: string; port: number; portVariable: string; env: object[]; command: string[] }): Manifest[] {
  const { name, component, port } = options;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: labels(name, component) },
      spec: {
        replicas: 2,
        selector: { matchLabels: selector(name) },
        template: {
          metadata: { labels: labels(name, component) },
          spec: {
            securityContext: podSecurity,
            automountServiceAccountToken: false,
            // Spread replicas so one node going away never takes every replica of a service.
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector(name) } }],
            containers: [
              {
                name,
                image: `${RUNTIME_IMAGE}:${RELEASE}`,
                command: options.command,
                ports: [{ name: 'http', containerPort: port }],
                env: [
                  { name: 'NODE_ENV', value: 'production' },
                  { name: 'HOST', value: '0.0.0.0' },
                  { name: options.portVariable, value: String(port) },
                  { name: 'LOG_LEVEL', value: 'info' },
                  secretEnv('SUBGRAPH_SIGNING_SECRET', 'bazaar-keys', 'subgraph-signing-secret'),
                  ...options.env,
                ],
                // Ready = its database answers; consumers join their group in the background.
                readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
                livenessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
                resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
                securityContext: containerSecurity,
                ...tmpMount,
              },
            ],
            ...tmpVolume,
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: labels(name, component) }, spec: { selector: selector(name), ports: [{ name: 'http', port, targetPort: 'http' }] } },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, labels: labels(name, component) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, labels: labels(name, component) }, spec: { minAvailable: 1, selector: { matchLabels: selector(name) } } },
  ];
}

function subgraphManifests(name: string, port: number): Manifest[] {
  const upper = name.toUpperCase();
  const database = databaseCluster(name);
  const databaseUrl = secretEnv(`${upper}_DATABASE_URL`, `${database}-app`, 'uri');
  return [
    ...workload({
      name,
      component: 'subgraph',
      port,
      portVariable: `${upper}_PORT`,
      command: ['node', `subgraphs/${name}/src/main.js`],
      env: [
        databaseUrl,
        { name: 'EVENT_TRANSPORT', value: 'kafka' },
        { name: 'KAFKA_BROKERS', value: `${KAFKA_CLUSTER}-kafka-bootstrap:9092` },
        // Keys inline: subgraphs need no connection to users (only the router reaches subgraphs).
        ...(name === 'users' ? [secretEnv('AUTH_SIGNING_KEY', 'bazaar-keys', 'auth-signing-key')] : [secretEnv('AUTH_JWKS', 'bazaar-keys', 'auth-jwks')]),
      ],
    }),
    // CloudNativePG: one cluster per service; the operator writes `<cluster>-app` (uri, password).
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: database, labels: labels(database, 'database') },
      spec: {
        instances: 1,
        imageName: 'ghcr.io/cloudnative-pg/postgresql:17.5',
        storage: { size: '5Gi' },
        bootstrap: { initdb: { database: name, owner: `${name}_service` } },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      },
    },
    // One migration Job per service, from the migrate image; run it before rolling out a release.
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `migrate-${name}`, labels: labels(name, 'migration') },
      spec: {
        backoffLimit: 6,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: { ...labels(name, 'migration'), 'bazaar/database-client': name } },
          spec: {
            restartPolicy: 'OnFailure',
            securityContext: podSecurity,
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'migrate',
                image: `${MIGRATE_IMAGE}:${RELEASE}`,
                command: ['npm', 'run', 'db:migrate', '--', '--service', name],
                env: [databaseUrl, { name: 'EVENT_TRANSPORT', value: 'kafka' }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
                securityContext: { ...containerSecurity, readOnlyRootFilesystem: false },
              },
            ],
          },
        },
      },
    },
    // Only the router reaches a subgraph.
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${name}-from-router`, labels: labels(name, 'subgraph') },
      spec: {
        podSelector: { matchLabels: selector(name) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: selector('router') } }], ports: [{ protocol: 'TCP', port }] }],
      },
    },
    // Only the service (and its migration Job) reach its database; the operator manages it.
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${database}-from-${name}`, labels: labels(database, 'database') },
      spec: {
        podSelector: { matchLabels: { 'cnpg.io/cluster': database } },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: selector(name) } }], ports: [{ protocol: 'TCP', port: 5432 }] },
          // Replicas of the cluster stream from each other; the operator checks instance status.
          { from: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': database } } }] },
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } } }], ports: [{ protocol: 'TCP', port: 8000 }] },
        ],
      },
    },
    // The subgraph connects to its own database and to Kafka only; its migration Job to its database only.
    egressOnly(name, 'subgraph', { ...selector(name), 'app.kubernetes.io/component': 'subgraph' }, [
      databaseEgress(database),
      { to: [{ podSelector: { matchLabels: { 'strimzi.io/cluster': KAFKA_CLUSTER, 'strimzi.io/kind': 'Kafka' } } }], ports: [{ protocol: 'TCP', port: 9092 }] },
    ]),
    egressOnly(`migrate-${name}`, 'migration', { 'bazaar/database-client': name }, [databaseEgress(database)]),
  ];
}

function routerManifests(): Manifest[] {
  return [
    ...workload({
      name: 'router',
      component: 'router',
      port: 4000,
      portVariable: 'ROUTER_PORT',
      command: ['node', 'router/src/main.js'],
      env: SUBGRAPHS.map(({ name, defaultPort }) => ({ name: `${name.toUpperCase()}_SUBGRAPH_URL`, value: `http://${name}:${defaultPort}/graphql` })),
    }),
    // The router is the one entry: reachable by the ingress controller (any namespace) on its port.
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'router-ingress', labels: labels('router', 'router') },
      spec: { podSelector: { matchLabels: selector('router') }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 4000 }] }] },
    },
    // The router connects to the subgraphs only.
    egressOnly('router', 'router', selector('router'), [
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'subgraph' } } }],
        ports: SUBGRAPHS.map(({ defaultPort }) => ({ protocol: 'TCP', port: defaultPort })),
      },
    ]),
    // The shop's one public address; the cluster's default IngressClass serves it (set ingressClassName
    // and the host in an overlay, with TLS from your certificate manager).
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'router', labels: labels('router', 'router') },
      spec: {
        rules: [
          {
            host: 'shop.example.com',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'router', port: { name: 'http' } } } }] },
          },
        ],
      },
    },
  ];
}

function platformManifests(): Manifest[] {
  return [
    // Nothing reaches a pod of the namespace unless a policy below lets it.
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-ingress', labels: PART_OF }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bazaar-keys', labels: PART_OF },
      type: 'Opaque',
      // Placeholders: provide the real values with your secret manager (see deploy/README.md).
      stringData: { 'auth-signing-key': 'REPLACE: private JWK of the token signing key', 'auth-jwks': 'REPLACE: {"keys":[<public JWK>]}', 'subgraph-signing-secret': 'REPLACE: 32+ random characters' },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaNodePool',
      metadata: { name: 'dual-role', labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, ...PART_OF } },
      spec: {
        replicas: 1,
        roles: ['controller', 'broker'],
        storage: { type: 'jbod', volumes: [{ id: 0, type: 'persistent-claim', size: '10Gi', deleteClaim: false, kraftMetadata: 'shared' }] },
        resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
      },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'Kafka',
      metadata: { name: KAFKA_CLUSTER, labels: PART_OF, annotations: { 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' } },
      spec: {
        kafka: {
          version: '3.9.0',
          listeners: [
            {
              name: 'plain',
              port: 9092,
              type: 'internal',
              tls: false,
              // Strimzi turns this into the brokers' NetworkPolicy: only subgraphs reach Kafka.
              networkPolicyPeers: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'subgraph' } } }],
            },
          ],
          config: {
            'auto.create.topics.enable': false,
            'offsets.topic.replication.factor': 1,
            'transaction.state.log.replication.factor': 1,
            'transaction.state.log.min.isr': 1,
            'default.replication.factor': 1,
            'min.insync.replicas': 1,
          },
        },
        entityOperator: { topicOperator: {} },
      },
    },
    ...ALL_TOPICS.map((topic) => ({
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: { name: topic.replace(/\./g, '-'), labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, ...PART_OF } },
      spec: { topicName: topic, partitions: 6, replicas: 1 },
    })),
  ];
}

/** Every base file and its documents. */
export function baseFiles(): Record<string, Manifest[]> {
  const files: Record<string, Manifest[]> = { 'platform.yaml': platformManifests(), 'router.yaml': routerManifests() };
  for (const { name, defaultPort } of SUBGRAPHS) files[`${name}.yaml`] = subgraphManifests(name, defaultPort);
  files['kustomization.yaml'] = [
    {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      labels: [{ pairs: PART_OF }],
      resources: Object.keys(files).filter((file) => file !== 'kustomization.yaml'),
    },
  ];
  return files;
}

const HEADER = '# Generated by scripts/kubernetes-manifests.ts (npm run k8s:generate); edit that, not this file.\n';

export function renderBaseFile(documents: Manifest[]): string {
  return HEADER + documents.map((document) => stringify(document, { lineWidth: 0 })).join('---\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await mkdir(BASE_DIR, { recursive: true });
  for (const [file, documents] of Object.entries(baseFiles())) await writeFile(path.join(BASE_DIR, file), renderBaseFile(documents));
  console.log(`wrote ${Object.keys(baseFiles()).length} files to ${BASE_DIR}`);
}
