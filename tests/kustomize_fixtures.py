"""Kustomize fixture trees, one per feature of the build model: each is built by kubectl and by policycheck."""

from __future__ import annotations

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: nginx:1.25
          ports:
            - containerPort: 80
          envFrom:
            - configMapRef:
                name: settings
          env:
            - name: A
              value: "1"
      volumes:
        - name: conf
          configMap:
            name: settings
        - name: tls
          secret:
            secretName: creds
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""
ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  labels:
    team: a
spec:
  parentRefs:
    - name: internal
      namespace: network
      sectionName: https
  hostnames:
    - web.placeholder.example
  rules:
    - backendRefs:
        - name: web
          port: 80
"""
GATEWAY = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: internal
spec:
  gatewayClassName: cilium
  listeners:
    - name: https
      port: 443
      protocol: HTTPS
      allowedRoutes:
        namespaces:
          from: Selector
          selector:
            matchLabels:
              gateway-access: "true"
"""
NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: placeholder
"""
SA = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: web
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: web
subjects:
  - kind: ServiceAccount
    name: web
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: web
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules: []
"""
APP = {"base/deploy.yaml": DEPLOY, "base/service.yaml": SERVICE, "base/route.yaml": ROUTE,
       "base/kustomization.yaml": "resources: [deploy.yaml, service.yaml, route.yaml]\n"}


def k(text: str) -> str:
    return text.strip() + "\n"


FIXTURES: dict[str, dict[str, str]] = {
    "plain-files-and-folders": {
        "a.yaml": ROUTE, "b/x.yaml": SERVICE, "b/kustomization.yaml": "resources: [x.yaml]\n",
        "kustomization.yaml": "resources:\n  - a.yaml\n  - ./b\n",
    },
    "multi-document-and-list": {
        "all.yaml": ROUTE + "---\n" + SERVICE + "---\n",
        "list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n"
                     "    metadata: {name: one}\n    data: {a: b}\n",
        "kustomization.yaml": "resources: [all.yaml, list.yaml]\n",
    },
    "namespace-sets-and-renames-namespace": {
        "ns.yaml": NAMESPACE, "gw.yaml": GATEWAY, "rbac.yaml": SA,
        "class.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: cilium}\n"
                      "spec: {controllerName: io.cilium/gateway-controller}\n",
        "kustomization.yaml": "namespace: network\nresources: [ns.yaml, gw.yaml, rbac.yaml, class.yaml]\n",
    },
    "overlay-namespace-wins": {
        **APP, "base/kustomization.yaml": "namespace: base-ns\nresources: [deploy.yaml, service.yaml, route.yaml]\n",
        "overlay/kustomization.yaml": "namespace: prod\nresources: [../base]\n",
    },
    "written-namespace-kept-without-transformer": {
        "r.yaml": ROUTE.replace("  name: web\n  labels", "  name: web\n  namespace: apps\n  labels"),
        "kustomization.yaml": "resources: [r.yaml]\n",
    },
    "prefix-suffix-and-references": {
        **APP, "base/sa.yaml": SA,
        "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n",
        "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {a: b}\n",
        "base/ns.yaml": NAMESPACE,
        "base/kustomization.yaml": "resources: [deploy.yaml, service.yaml, route.yaml, sa.yaml, cm.yaml, secret.yaml,"
                                   " ns.yaml]\nnamePrefix: app-\n",
        "kustomization.yaml": "resources: [base]\nnameSuffix: -v2\nnamespace: apps\n",
    },
    "common-labels-reach-selectors-and-namespaces": {
        **APP, "base/ns.yaml": NAMESPACE,
        "base/kustomization.yaml": "resources: [deploy.yaml, service.yaml, route.yaml, ns.yaml]\n",
        "kustomization.yaml": "resources: [base]\ncommonLabels:\n  gateway-access: \"true\"\n",
    },
    "labels-without-selectors": {
        **APP, "base/ns.yaml": NAMESPACE,
        "base/kustomization.yaml": "resources: [deploy.yaml, service.yaml, route.yaml, ns.yaml]\n",
        "kustomization.yaml": k("""
resources: [base]
labels:
  - pairs:
      gateway-access: "true"
  - pairs:
      tier: front
    includeTemplates: true
  - pairs:
      env: prod
    includeSelectors: true
"""),
    },
    "common-annotations": {
        **APP, "kustomization.yaml": "resources: [base]\ncommonAnnotations:\n  owner: team-a\n",
    },
    "strategic-merge-patch-file": {
        **APP, "patch.yaml": k("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: busybox
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 8443
          env:
            - name: B
              value: "2"
"""),
        "kustomization.yaml": "resources: [base]\npatches:\n  - path: patch.yaml\n",
    },
    "strategic-merge-on-a-route-replaces-lists": {
        **APP, "kustomization.yaml": k("""
resources: [base]
patches:
  - patch: |-
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata:
        name: web
      spec:
        parentRefs:
          - name: external
            namespace: network
        hostnames: [web.example.com]
"""),
    },
    "patch-deletes-and-nulls": {
        **APP, "kustomization.yaml": k("""
resources: [base]
patches:
  - patch: |-
      $patch: delete
      apiVersion: v1
      kind: Service
      metadata:
        name: web
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        labels:
          app: null
      spec:
        template:
          spec:
            volumes:
              - name: tls
                $patch: delete
"""),
    },
    "patches-strategic-merge-legacy": {
        **APP, "svc-patch.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n"
                                 "    - port: 80\n      targetPort: 9090\n    - port: 443\n      name: https\n",
        "kustomization.yaml": k("""
resources: [base]
patchesStrategicMerge:
  - svc-patch.yaml
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 3
"""),
    },
    "json6902-patches-with-targets": {
        **APP, "ops.yaml": "- op: replace\n  path: /spec/parentRefs/0/name\n  value: external\n"
                           "- op: add\n  path: /spec/hostnames/-\n  value: extra.example.com\n",
        "kustomization.yaml": k("""
resources: [base]
patches:
  - path: ops.yaml
    target:
      group: gateway.networking.k8s.io
      kind: HTTPRoute
      name: web
  - target:
      kind: Service
    patch: |-
      - op: remove
        path: /spec/ports/0/targetPort
      - op: copy
        from: /metadata/name
        path: /metadata/labels
patchesJson6902:
  - target:
      group: apps
      version: v1
      kind: Deployment
      name: web
    patch: |-
      - op: add
        path: /spec/replicas
        value: 2
      - op: move
        from: /spec/template/spec/containers/0/env
        path: /spec/template/spec/containers/0/envCopy
"""),
    },
    "patch-target-selectors": {
        "routes.yaml": ROUTE + "---\n" + ROUTE.replace("name: web\n  labels:\n    team: a",
                                                        "name: api\n  annotations:\n    tier: back\n  labels:\n"
                                                        "    team: b"),
        "kustomization.yaml": k("""
resources: [routes.yaml]
patches:
  - target:
      kind: HTTPRoute
      labelSelector: team=a
    patch: |-
      - op: add
        path: /metadata/annotations
        value: {picked: by-label}
  - target:
      kind: HTTPRoute
      annotationSelector: tier in (back,front)
    patch: |-
      - op: replace
        path: /spec/hostnames/0
        value: api.example.com
  - target:
      name: "w.*"
      version: v1
    patch: |-
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata:
        name: any
      spec:
        hostnames: [regex.example.com]
"""),
    },
    "components": {
        **APP,
        "comp/kustomization.yaml": k("""
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [extra.yaml]
patches:
  - target: {kind: HTTPRoute}
    patch: |-
      - op: replace
        path: /spec/parentRefs/0/sectionName
        value: http
configMapGenerator:
  - name: comp-settings
    literals: [x=y]
"""),
        "comp/extra.yaml": SERVICE.replace("name: web", "name: extra"),
        "overlay/kustomization.yaml": "namespace: prod\nresources: [../base]\ncomponents: [../comp]\n",
    },
    "config-map-generator": {
        "app.properties": "a=b\nc=d\n", "env.txt": "# comment\nFOO=bar\n\nBAZ=\"quoted\"\n",
        "kustomization.yaml": k("""
namespace: apps
configMapGenerator:
  - name: settings
    literals: [level=debug, "html=<b>&amp;</b>"]
    files: [app.properties, renamed.conf=app.properties]
  - name: from-env
    envs: [env.txt]
  - name: fixed
    literals: [a=b]
    options:
      disableNameSuffixHash: true
      labels: {kind: fixed}
generatorOptions:
  labels: {generated: "yes"}
  annotations: {note: x}
"""),
    },
    "secret-generator-and-references": {
        "deploy.yaml": DEPLOY, "kustomization.yaml": k("""
resources: [deploy.yaml]
namePrefix: p-
secretGenerator:
  - name: creds
    literals: [user=admin, pass=secret]
    type: kubernetes.io/basic-auth
configMapGenerator:
  - name: settings
    literals: [a=b]
"""),
    },
    "generator-behavior-merge": {
        "base/kustomization.yaml": "configMapGenerator:\n  - name: settings\n    literals: [a=b, c=d]\n",
        "kustomization.yaml": k("""
resources: [base]
configMapGenerator:
  - name: settings
    behavior: merge
    literals: [c=changed, e=f]
"""),
    },
    "generator-options-disable-hash": {
        "kustomization.yaml": k("""
generatorOptions:
  disableNameSuffixHash: true
configMapGenerator:
  - name: plain
    literals: [a=b]
secretGenerator:
  - name: token
    literals: [t=x]
"""),
    },
    "replacements": {
        "vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars}\ndata:\n  domain: example.com\n"
                     "  gw: network/external\n",
        "route.yaml": ROUTE,
        "kustomization.yaml": k("""
resources: [vars.yaml, route.yaml]
replacements:
  - source:
      kind: ConfigMap
      name: vars
      fieldPath: data.domain
    targets:
      - select: {kind: HTTPRoute}
        fieldPaths: [spec.hostnames.0]
        options: {delimiter: ".", index: 1}
  - source:
      kind: ConfigMap
      name: vars
      fieldPath: data.gw
      options: {delimiter: "/", index: 1}
    targets:
      - select: {kind: HTTPRoute, name: web}
        fieldPaths: ["spec.parentRefs.[name=internal].name"]
  - source:
      kind: ConfigMap
      name: vars
      fieldPath: data.domain
    targets:
      - select: {kind: HTTPRoute}
        reject: [{name: nothing}]
        fieldPaths: [metadata.annotations.domain, "spec.rules.*.backendRefs.0.namespace"]
        options: {create: true}
"""),
    },
    "replacements-from-file-and-name": {
        "route.yaml": ROUTE, "svc.yaml": SERVICE.replace("name: web", "name: backend"),
        "repl.yaml": k("""
source:
  kind: Service
  name: backend
targets:
  - select: {kind: HTTPRoute}
    fieldPaths: [spec.rules.0.backendRefs.0.name]
"""),
        "kustomization.yaml": "resources: [route.yaml, svc.yaml]\nreplacements:\n  - path: repl.yaml\n",
    },
    "images-and-replicas": {
        **APP, "kustomization.yaml": k("""
resources: [base]
images:
  - name: nginx
    newName: registry.example.com/nginx
    newTag: "1.27"
replicas:
  - name: web
    count: 4
"""),
    },
    "three-levels": {
        **APP,
        "mid/kustomization.yaml": "resources: [../base]\nnamePrefix: mid-\ncommonLabels: {layer: mid}\n",
        "top/kustomization.yaml": k("""
resources: [../mid]
namespace: top
namePrefix: top-
patches:
  - target: {kind: HTTPRoute, name: mid-web}
    patch: |-
      - op: replace
        path: /spec/hostnames/0
        value: top.example.com
"""),
    },
    "kustomization-file-names": {
        "a/Kustomization": "resources: [r.yaml]\n", "a/r.yaml": ROUTE,
        "b/kustomization.yml": "resources: [r.yaml]\nnamespace: b\n", "b/r.yaml": SERVICE,
        "kustomization.yaml": "resources: [a, b]\n",
    },
    "vars": {
        **APP, "base/params.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: params}\n"
                                   "data: {host: web.example.com, port: \"8080\"}\n",
        "base/deploy.yaml": DEPLOY.replace('value: "1"', 'value: $(HOST)').replace("image: nginx:1.25",
                                                                                   "image: nginx:1.25\n"
                                                                                   "          args: [--port=$(PORT)]"),
        "kustomization.yaml": k("""
resources: [base, base/params.yaml]
namePrefix: x-
vars:
  - name: HOST
    objref: {kind: ConfigMap, name: params, apiVersion: v1}
    fieldref: {fieldpath: data.host}
  - name: PORT
    objref: {kind: ConfigMap, name: params, apiVersion: v1}
    fieldref: {fieldPath: data.port}
  - name: SVC
    objref: {kind: Service, name: web, apiVersion: v1}
"""),
    },
    "references-by-earlier-names": {
        "base/deploy.yaml": DEPLOY, "base/sa.yaml": SA,
        "base/kustomization.yaml": k("""
resources: [deploy.yaml, sa.yaml]
namePrefix: app-
namespace: apps
configMapGenerator:
  - name: settings
    literals: [a=b]
"""),
        "overlay/kustomization.yaml": k("""
resources: [../base]
namespace: prod
patches:
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        template:
          spec:
            serviceAccountName: web
            containers:
              - name: side
                image: busybox
                envFrom:
                  - configMapRef:
                      name: settings
"""),
    },
    "empty-annotations-and-missing-replace": {
        "r.yaml": ROUTE.replace("  labels:\n    team: a", "  annotations: {}\n  labels:\n    team: a"),
        "kustomization.yaml": k("""
resources: [r.yaml]
patches:
  - target: {kind: HTTPRoute}
    patch: |-
      - op: replace
        path: /spec/parentRefs/0/port
        value: 443
"""),
    },
    "namespace-moves-binding-subjects": {
        "rbac.yaml": SA + "---\n" + k("""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects:
  - {kind: ServiceAccount, name: web, namespace: default}
  - {kind: ServiceAccount, name: web, namespace: elsewhere}
  - {kind: ServiceAccount, name: other}
"""),
        "kustomization.yaml": "namespace: apps\nresources: [rbac.yaml]\n",
    },
    "configurations-webhooks-and-binary-data": {
        "svc.yaml": SERVICE.replace("name: web", "name: hook"),
        "hook.yaml": k("""
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: hook
webhooks:
  - name: hook.example.com
    clientConfig:
      service: {name: hook, path: /mutate}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: issuer}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: cert}
spec:
  commonName: $(SERVICE_NAME).svc
  issuerRef: {kind: Issuer, name: issuer}
"""),
        "config.yaml": k("""
nameReference:
  - kind: Issuer
    group: cert-manager.io
    fieldSpecs:
      - {kind: Certificate, group: cert-manager.io, path: spec/issuerRef/name}
varReference:
  - {kind: Certificate, path: spec/commonName}
"""),
        "blob.bin": "x" * 120,
        "kustomization.yaml": k("""
namespace: hooks
namePrefix: p-
resources: [svc.yaml, hook.yaml]
configurations: [config.yaml]
configMapGenerator:
  - name: blob
    files: [blob.bin]
vars:
  - name: SERVICE_NAME
    objref: {kind: Service, name: hook, apiVersion: v1}
"""),
    },
}
# The folder each fixture builds (default the root).
FOLDERS = {"overlay-namespace-wins": "overlay", "components": "overlay", "three-levels": "top",
           "references-by-earlier-names": "overlay"}
