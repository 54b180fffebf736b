//! The partner portal's TypeScript types are generated from keel-api's `portal` module.

use std::path::Path;

/// Writes portal/src/lib/types.ts. Under CI the committed file must already be current:
/// a stale file fails here instead of drifting from what the server answers.
#[test]
fn portal_typescript_types_are_current() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../portal/src/lib/types.ts");
    let fresh = specta_typescript::Typescript::default()
        .header("// Generated from keel-api's `portal` module by `cargo test -p keel-api`: do not edit.")
        .export(&keel_api::portal::types(), specta_serde::Format)
        .expect("portal types export");
    let committed_text = std::fs::read_to_string(&committed).unwrap_or_default();
    if committed_text != fresh {
        assert!(
            std::env::var("CI").is_err(),
            "portal/src/lib/types.ts is stale: run `cargo test -p keel-api` locally and commit it"
        );
        std::fs::write(&committed, fresh).expect("write portal types");
    }
}

#[test]
fn amounts_and_ids_cross_exactly_or_not_at_all() {
    let money = keel::services::portal::PortalMoney { minor: 1_234_567, currency: "EUR", exponent: 2 };
    let json = serde_json::to_value(keel_api::portal::PortalMoney::from(money)).expect("serialize");
    assert_eq!(json, serde_json::json!({"minor": 1_234_567, "currency": "EUR", "exponent": 2}));
    let beyond = keel::services::portal::PortalMoney { minor: 1 << 60, currency: "EUR", exponent: 2 };
    assert!(
        serde_json::to_value(keel_api::portal::PortalMoney::from(beyond)).is_err(),
        "an amount JavaScript cannot hold exactly is refused, never rounded"
    );
}
