//! `docs/schema.graphql` is the published contract: it must equal what the code serves.
//! After a deliberate change: `cargo run -p api -- print-schema > docs/schema.graphql`.

#[test]
fn docs_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schema.graphql");
    let documented = std::fs::read_to_string(path).unwrap_or_default();
    let actual = api::graphql::sdl();
    assert!(
        documented == actual,
        "docs/schema.graphql is out of date; run `cargo run -p api -- print-schema > docs/schema.graphql`"
    );
}
