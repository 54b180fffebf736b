//! Pipedrive writes its export's column names in the exporting user's language
//! ("Negócio - Título", "Deal - Titel", "Affaire - Titre"). Each is turned back into
//! the English name ("Deal - Title") before columns are recognized, so one alias table
//! serves every language. The names below are the ones seen in real exports (public
//! code that reads them); a column not listed keeps its own name and `--map` still
//! reaches it.

/// The entity before " - ", in the exporting user's language, and in English.
const ENTITIES: &[(&str, &str)] = &[
    ("negócio", "deal"),
    ("negocio", "deal"),
    ("affaire", "deal"),
    ("organização", "organization"),
    ("organizacao", "organization"),
    ("organisation", "organization"),
    ("organización", "organization"),
    ("pessoa", "person"),
    ("personne", "person"),
    ("persona", "person"),
];

/// A field after " - " (as lower-case words), and its English Pipedrive name.
const FIELDS: &[(&str, &str)] = &[
    // Portuguese
    ("título", "title"),
    ("valor", "value"),
    ("organização", "organization"),
    ("proprietário", "owner"),
    ("etapa", "stage"),
    ("funil", "pipeline"),
    ("negócio criado em", "deal created"),
    ("data de criação do negócio", "deal created"),
    ("atualizado em", "update time"),
    ("ganho em", "won time"),
    ("data de perda", "lost time"),
    ("motivo da perda", "lost reason"),
    ("data de fechamento esperada", "expected close date"),
    ("fonte do lead", "source"),
    ("nome", "name"),
    // German
    ("titel", "title"),
    ("wert", "value"),
    ("besitzer", "owner"),
    ("phase", "stage"),
    ("deal erstellt", "deal created"),
    ("datum des gewonnenen deals", "won time"),
    ("datum des verlorenen deals", "lost time"),
    ("deal abgeschlossen am", "close time"),
    ("verlustgrund", "lost reason"),
    ("wahrscheinlichkeit", "probability"),
    ("zeit der aktualisierung", "update time"),
    // French
    ("titre", "title"),
    ("valeur", "value"),
    ("propriétaire", "owner"),
    ("étape", "stage"),
    ("statut", "status"),
    ("affaire créée", "deal created"),
    ("date de gain", "won time"),
    ("date de perte", "lost time"),
    ("raison de perte", "lost reason"),
    ("raison de la perte", "lost reason"),
    ("date de clôture prévue", "expected close date"),
    // Spanish
    ("propietario", "owner"),
    ("nombre", "name"),
    // The same in every language
    ("organisation", "organization"),
    ("status", "status"),
    ("id", "id"),
    ("pipeline", "pipeline"),
];

/// The English words of a Pipedrive column, from the column's own words and its raw
/// name (the " - " between entity and field is what marks a Pipedrive column).
pub fn in_english(raw: &str) -> Option<String> {
    let (entity, field) = raw.split_once(" - ")?;
    let entity = super::values::words(entity);
    let field = super::values::words(field);
    let english_entity = ENTITIES
        .iter()
        .find(|(local, _)| *local == entity)
        .map(|(_, en)| *en)
        .or_else(|| ["deal", "organization", "person"].into_iter().find(|en| *en == entity))?;
    let english_field = FIELDS.iter().find(|(local, _)| *local == field).map(|(_, en)| *en)?;
    Some(format!("{english_entity} {english_field}"))
}

/// Whether a column name is a Pipedrive one, in any language seen.
pub fn is_pipedrive(raw: &str) -> bool {
    raw.split_once(" - ").is_some_and(|(entity, _)| {
        let entity = super::values::words(entity);
        ["deal", "organization", "person"].contains(&entity.as_str())
            || ENTITIES.iter().any(|(local, _)| *local == entity)
    })
}
