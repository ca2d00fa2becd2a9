"""What `kustomize build` emits for a folder, computed without the kustomize binary (docs/gitops.md)."""
