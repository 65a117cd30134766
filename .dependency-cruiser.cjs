/** Architecture rules of the house (docs/architecture.md, "Boundaries"). */
module.exports = {
  forbidden: [
    {
      name: "composer-is-pure",
      comment: "src/composer is the protocol: it must not import HTTP, storage, or Node I/O.",
      severity: "error",
      from: { path: "^src/composer/" },
      to: {
        path: [
          "^src/(http|storage|sources|catalog|access|cli|jobs)/",
          "^(node:)?(fs|fs/promises|child_process|net|http|https|dns)$",
        ],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "audit-integrity-is-pure",
      comment:
        "Hashing, proofs, checkpoints and verification run the same in the server, the CLI and offline.",
      severity: "error",
      from: { path: "^src/audit/integrity/" },
      to: {
        path: [
          "^src/(?!audit/integrity/|errors/)",
          "^(node:)?(fs|fs/promises|child_process|net|http|https|dns)$",
        ],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "http-never-imports-adapters",
      comment: "Only main.ts and tests wire adapters; http/ sees ports and services.",
      severity: "error",
      from: { path: "^src/http/" },
      to: {
        path: [
          "^src/storage/database/(sqlite|postgres)",
          "^src/storage/blobs/fs-",
          "^src/sources/git/git-cli",
        ],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true, dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
