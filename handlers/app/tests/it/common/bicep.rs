//! infra/*.bicep read with the tree-sitter-bicep grammar (no Bicep compiler
//! can be installed here): the files, their trees, and walking them. The
//! infra test checks the deployment with it; the settings test, the values
//! of the app settings.

use std::path::{Path, PathBuf};

use tree_sitter::{Node, Parser, Tree};

pub struct Bicep {
    /// Relative to the workspace root, e.g. `infra/main.bicep`.
    pub rel: String,
    pub path: PathBuf,
    pub text: String,
    pub tree: Tree,
}

impl Bicep {
    /// Reads and parses `rel` (relative to the workspace root).
    pub fn read(rel: &str) -> Bicep {
        let path = super::root().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_bicep::LANGUAGE.into())
            .expect("the Bicep grammar loads");
        let tree = parser.parse(&text, None).expect("a parse tree");
        Bicep {
            rel: rel.to_string(),
            path,
            text,
            tree,
        }
    }

    /// infra/main.bicep, then every module, by name.
    pub fn all_files() -> Vec<Bicep> {
        let mut files = vec!["infra/main.bicep".to_string()];
        let mut modules: Vec<String> = std::fs::read_dir(super::root().join("infra/modules"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| Path::new(n).extension().is_some_and(|e| e == "bicep"))
            .map(|n| format!("infra/modules/{n}"))
            .collect();
        modules.sort();
        files.extend(modules);
        files.iter().map(|rel| Bicep::read(rel)).collect()
    }

    pub fn text_of(&self, node: Node) -> &str {
        &self.text[node.byte_range()]
    }

    /// Every node of `kind`, in document order.
    pub fn all(&self, kind: &str) -> Vec<Node<'_>> {
        let mut found = Vec::new();
        let mut cursor = self.tree.walk();
        let mut stack = vec![self.tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == kind {
                found.push(node);
            }
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        found
    }

    pub fn named_children(node: Node) -> Vec<Node> {
        let mut cursor = node.walk();
        node.named_children(&mut cursor).collect()
    }
}
