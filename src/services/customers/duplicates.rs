//! Likely duplicate accounts, and merging two into one. Duplicates share a
//! registrable domain (eu.acme.com and acme.com) or have near-identical names
//! ("Acme, Inc." and "ACME"; "Acme Labs" and "Acme Lab"), never just a number apart.

use crate::domain::{account_name_key, AccountId, ImportEntity};
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::accounts::{Account, MovedRecords, NewMerge};
use crate::store::{self};
use crate::{KeelError, Result};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct DuplicateAccount {
    pub id: AccountId,
    pub name: String,
    pub domain: Option<String>,
    pub deals: i64,
    pub contacts: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroup {
    /// Why these accounts look like one company.
    pub reasons: Vec<String>,
    pub accounts: Vec<DuplicateAccount>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.0[root] != root {
            root = self.0[root];
        }
        let mut node = i;
        while self.0[node] != root {
            let next = self.0[node];
            self.0[node] = root;
            node = next;
        }
        root
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Groups of accounts that are probably the same company, largest first.
pub fn account_duplicates(ws: &Workspace, who: Principal) -> Result<Vec<DuplicateGroup>> {
    policy::reading(ws.conn(), who)?;
    let accounts = store::accounts::name_index(ws.conn())?;
    let mut sets = UnionFind((0..accounts.len()).collect());
    let mut reasons: Vec<(usize, usize, String)> = Vec::new();
    let mut link = |sets: &mut UnionFind, a: usize, b: usize, why: String| {
        if sets.find(a) != sets.find(b) {
            reasons.push((a, b, why));
            sets.union(a, b);
        }
    };
    let mut by_domain: HashMap<String, usize> = HashMap::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, (_, name, domain)) in accounts.iter().enumerate() {
        if let Some(domain) = domain {
            let registrable = crate::services::registrations::registrable_domain(domain);
            match by_domain.get(&registrable) {
                Some(&first) => link(&mut sets, first, i, format!("same domain {registrable}")),
                None => {
                    by_domain.insert(registrable, i);
                }
            }
        }
        let key = account_name_key(name);
        match by_key.get(&key) {
            Some(&first) => link(&mut sets, first, i, format!("same name '{key}'")),
            None => {
                by_key.insert(key, i);
            }
        }
    }
    // Names one edit apart: keys sharing a one-deletion variant are candidates.
    let mut variants: HashMap<String, Vec<usize>> = HashMap::new();
    for (key, &i) in &by_key {
        let chars: Vec<char> = key.chars().collect();
        if chars.len() < 5 {
            continue;
        }
        for skip in 0..chars.len() {
            let variant: String =
                chars.iter().enumerate().filter(|(j, _)| *j != skip).map(|(_, c)| c).collect();
            variants.entry(variant).or_default().push(i);
        }
        variants.entry(key.clone()).or_default().push(i);
    }
    let mut keys_of: HashMap<usize, String> = HashMap::new();
    for (key, &i) in &by_key {
        keys_of.insert(i, key.clone());
    }
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for members in variants.values().filter(|m| m.len() > 1 && m.len() <= 50) {
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                if a != b {
                    candidates.push((a.min(b), a.max(b)));
                }
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    for (a, b) in candidates {
        let (ka, kb) = (&keys_of[&a], &keys_of[&b]);
        if digits(ka) == digits(kb) && within_one_edit(ka, kb) {
            link(
                &mut sets,
                a,
                b,
                format!("near-identical names '{}' and '{}'", accounts[a].1, accounts[b].1),
            );
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..accounts.len() {
        let root = sets.find(i);
        groups.entry(root).or_default().push(i);
    }
    let mut out = Vec::new();
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let root = sets.find(members[0]);
        let mut why: Vec<String> =
            reasons.iter().filter(|(a, _, _)| sets.find(*a) == root).map(|(_, _, w)| w.clone()).collect();
        why.sort();
        why.dedup();
        let mut group = Vec::with_capacity(members.len());
        for i in members {
            let (id, name, domain) = &accounts[i];
            let (deals, contacts) = store::accounts::usage(ws.conn(), *id)?;
            group.push(DuplicateAccount {
                id: *id,
                name: name.clone(),
                domain: domain.clone(),
                deals,
                contacts,
            });
        }
        group.sort_by_key(|a| a.id);
        out.push(DuplicateGroup { reasons: why, accounts: group });
    }
    out.sort_by(|a, b| b.accounts.len().cmp(&a.accounts.len()).then(a.accounts[0].id.cmp(&b.accounts[0].id)));
    Ok(out)
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Levenshtein distance of at most one.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1.min(short.len() - prefix)..] == long[prefix + 1.min(long.len() - prefix)..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct MergeReport {
    pub kept: Account,
    pub merged_id: AccountId,
    pub merged_name: String,
    pub moved: MovedRecords,
}

/// Moves everything of `other` to `keep`, fills `keep`'s blank fields from `other`,
/// records the merge and removes `other`. One transaction.
pub fn merge(ws: &mut Workspace, who: Principal, keep: AccountId, other: AccountId) -> Result<MergeReport> {
    if keep == other {
        return Err(KeelError::invalid("other", "an account cannot be merged into itself"));
    }
    let kept = store::accounts::get(ws.conn(), keep)?;
    let merged = store::accounts::get(ws.conn(), other)?;
    let moved = ws.write_as(who, |tx, now| {
        let moved = store::accounts::move_dependents(tx, other, keep)?;
        store::imports::repoint_externals(tx, ImportEntity::Account, other.0, keep.0)?;
        store::accounts::record_merge(
            tx,
            &NewMerge { kept: keep, merged: &merged, moved: &moved, at: now, by: who.member() },
        )?;
        store::accounts::delete(tx, other)?;
        store::accounts::update(
            tx,
            keep,
            &store::accounts::AccountFields {
                name: &kept.name,
                domain: kept.domain.as_deref().or(merged.domain.as_deref()),
                segment: kept.segment,
                vertical: kept.vertical.as_deref().or(merged.vertical.as_deref()),
                region: kept.region.as_deref().or(merged.region.as_deref()),
            },
        )?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "account.merge",
            "account",
            keep.0,
            serde_json::json!({"merged_id": other, "merged_name": merged.name, "merged_domain": merged.domain,
                               "moved": moved}),
        )?;
        Ok(moved)
    })?;
    Ok(MergeReport {
        kept: store::accounts::get(ws.conn(), keep)?,
        merged_id: other,
        merged_name: merged.name,
        moved,
    })
}

#[cfg(test)]
mod tests {
    use super::within_one_edit;

    #[test]
    fn one_edit_apart() {
        assert!(within_one_edit("acme labs", "acme lab"));
        assert!(within_one_edit("acme labs", "acme labz"));
        assert!(within_one_edit("acme labs", "acmex labs"));
        assert!(within_one_edit("acme", "acme"));
        assert!(!within_one_edit("acme labs", "acme la"));
        assert!(!within_one_edit("acme labs", "acne lab"));
    }
}
