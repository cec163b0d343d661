//! A limit async-graphql does not enforce: the size of a query once its fragments are
//! expanded. Its depth and complexity checks walk every fragment spread without memoising, and
//! `__typename` costs nothing in complexity, so a one-kilobyte document whose fragments each
//! spread the previous one twice (`fragment F1 on Query { ...F0 ...F0 }` …) expands to 2^28
//! fields and keeps the server busy until memory runs out. This check runs before async-graphql
//! parses the request again, in time linear in the document.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Name, Request, ServerError, ServerResult};

/// Most selections (fields, `__typename`, fragment spreads, inline fragments) a query may have
/// once its fragments are expanded. Twice the complexity limit: every real field costs at least
/// one unit of complexity, and a client may add `__typename` to each selection set.
pub const MAX_SELECTIONS: usize = 2 * super::MAX_COMPLEXITY;
/// Most root fields a mutation may have. Aliases would otherwise let one request run the same
/// mutation hundreds of times (`a1: createCaptcha { id } a2: createCaptcha { id } …`).
pub const MAX_ROOT_MUTATIONS: usize = 5;
/// Deepest chain of nested selection sets and fragment spreads the check follows.
const MAX_NESTING: usize = 64;

/// Installs the check on a schema (`SchemaBuilder::extension`).
pub struct QuerySizeLimit;

impl ExtensionFactory for QuerySizeLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QuerySizeLimitExtension)
    }
}

struct QuerySizeLimitExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for QuerySizeLimitExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Parsed once here; async-graphql reuses the document.
        check(request.parsed_query()?).map_err(Refusal::into_server_error)?;
        next.run(ctx, request).await
    }
}

/// Why a document was refused. Like async-graphql's own depth and complexity limits, these are
/// reported with the code `GRAPHQL_VALIDATION_FAILED` and an Indonesian message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooManySelections,
    TooDeep,
    FragmentCycle,
    TooManyMutations,
}

impl Refusal {
    /// The Indonesian message.
    pub fn message(self) -> String {
        match self {
            Self::TooManySelections => {
                format!("Kueri GraphQL terlalu besar: lebih dari {MAX_SELECTIONS} isian setelah fragmen diuraikan.")
            }
            Self::TooDeep => format!("Kueri GraphQL terlalu dalam: lebih dari {MAX_NESTING} tingkat bersarang."),
            Self::FragmentCycle => "Kueri GraphQL tidak valid: fragmen saling merujuk (siklus).".to_owned(),
            Self::TooManyMutations => {
                format!("Terlalu banyak mutasi dalam satu permintaan (maksimal {MAX_ROOT_MUTATIONS}).")
            }
        }
    }

    fn into_server_error(self) -> ServerError {
        let mut error = ServerError::new(self.message(), None);
        error.extensions.get_or_insert_with(Default::default).set("code", crate::error::GRAPHQL_VALIDATION_FAILED);
        error
    }
}

/// Checks every operation of `document`. Unknown fragments count as empty (validation reports
/// them later).
pub fn check(document: &ExecutableDocument) -> Result<usize, Refusal> {
    let mut walk = Walk { document, sizes: HashMap::new(), expanding: HashSet::new() };
    let mut total = 0usize;
    for (_, operation) in document.operations.iter() {
        let root = &operation.node.selection_set.node;
        total = total.saturating_add(walk.selection_set(root, 0)?);
        if total > MAX_SELECTIONS {
            return Err(Refusal::TooManySelections);
        }
        // Bounded: the walk above has measured every fragment and found no cycle.
        if operation.node.ty == OperationType::Mutation && walk.root_fields(root) > MAX_ROOT_MUTATIONS {
            return Err(Refusal::TooManyMutations);
        }
    }
    Ok(total)
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    /// Expanded size of each fragment already measured.
    sizes: HashMap<&'a Name, usize>,
    /// Fragments being measured (to find cycles).
    expanding: HashSet<&'a Name>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<usize, Refusal> {
        if depth > MAX_NESTING {
            return Err(Refusal::TooDeep);
        }
        let mut total = 0usize;
        for selection in &set.items {
            let size = match &selection.node {
                Selection::Field(field) => self.selection_set(&field.node.selection_set.node, depth + 1)?,
                Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set.node, depth + 1)?,
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node, depth + 1)?,
            };
            total = total.saturating_add(1).saturating_add(size);
            if total > MAX_SELECTIONS {
                return Err(Refusal::TooManySelections);
            }
        }
        Ok(total)
    }

    /// Fields an operation runs at its root, through fragments.
    fn root_fields(&self, set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => self.root_fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => self
                    .document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |fragment| self.root_fields(&fragment.node.selection_set.node)),
            })
            .sum()
    }

    fn fragment(&mut self, name: &'a Name, depth: usize) -> Result<usize, Refusal> {
        if let Some(size) = self.sizes.get(name) {
            return Ok(*size);
        }
        let Some(fragment) = self.document.fragments.get(name) else { return Ok(0) };
        if !self.expanding.insert(name) {
            return Err(Refusal::FragmentCycle);
        }
        let size = self.selection_set(&fragment.node.selection_set.node, depth)?;
        self.expanding.remove(name);
        self.sizes.insert(name, size);
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn checked(query: &str) -> Result<usize, Refusal> {
        let document = parse_query(query).unwrap_or_else(|e| panic!("{e}"));
        check(&document)
    }

    fn doubling_fragments(levels: usize) -> String {
        let mut query = String::from("fragment F0 on Query { __typename }\n");
        for i in 1..=levels {
            query.push_str(&format!("fragment F{i} on Query {{ ...F{p} ...F{p} }}\n", p = i - 1));
        }
        query.push_str(&format!("{{ ...F{levels} }}"));
        query
    }

    #[test]
    fn ordinary_queries_pass_and_are_measured() {
        assert_eq!(checked("{ services { code fields { name } } }"), Ok(4));
        assert_eq!(checked("fragment S on Service { code name } { services { ...S } catalogueVersion }"), Ok(5));
        // F0 = 1, Fi = 2 × (1 + Fi-1): F5 = 94, plus the spread of F5 itself.
        assert_eq!(checked(&doubling_fragments(5)), Ok(95));
    }

    #[test]
    fn exponential_fragment_expansion_is_refused_in_linear_time() {
        assert_eq!(checked(&doubling_fragments(28)), Err(Refusal::TooManySelections));
        // Longer chains are refused for their depth before their size.
        assert_eq!(checked(&doubling_fragments(200)), Err(Refusal::TooDeep));
    }

    #[test]
    fn alias_fan_out_of_free_fields_is_refused() {
        let aliases: String = (0..MAX_SELECTIONS + 1).map(|i| format!("a{i}: __typename ")).collect();
        assert_eq!(checked(&format!("{{ {aliases} }}")), Err(Refusal::TooManySelections));
    }

    #[test]
    fn a_mutation_runs_a_handful_of_root_fields_at_most() {
        let aliases = |n: usize| (0..n).map(|i| format!("a{i}: createCaptcha {{ id }} ")).collect::<String>();
        assert!(checked(&format!("mutation {{ {} }}", aliases(MAX_ROOT_MUTATIONS))).is_ok());
        let many = format!("mutation {{ {} }}", aliases(MAX_ROOT_MUTATIONS + 1));
        assert_eq!(checked(&many), Err(Refusal::TooManyMutations));
        let hidden = format!(
            "fragment M on Mutation {{ {} }} mutation {{ ...M ... on Mutation {{ x: createCaptcha {{ id }} }} }}",
            aliases(MAX_ROOT_MUTATIONS)
        );
        assert_eq!(checked(&hidden), Err(Refusal::TooManyMutations));
        // Queries may read many things at once.
        assert!(checked(&format!("{{ {} }}", "a: catalogueVersion ".repeat(50))).is_ok());
    }

    #[test]
    fn fragment_cycles_and_long_chains_are_refused() {
        let cycle = "fragment A on Query { ...B ...B } fragment B on Query { ...A ...A } { ...A }";
        assert_eq!(checked(cycle), Err(Refusal::FragmentCycle));
        let mut chain = String::new();
        for i in 0..100 {
            chain.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        chain.push_str("fragment F100 on Query { __typename } { ...F0 }");
        assert_eq!(checked(&chain), Err(Refusal::TooDeep));
    }
}
