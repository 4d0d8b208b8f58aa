//! `.coderabbit.yaml`: (being written)
