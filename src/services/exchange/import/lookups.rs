//! In-memory indexes an import matches against: accounts by domain and by name key,
//! team members by name. Additions made by a row are undone if the row is rolled back.

use crate::domain::{account_name_key, AccountId, TeamMemberId};
use crate::store::{self};
use crate::Result;
use rusqlite::Connection;
use std::collections::HashMap;

enum Added {
    Domain(String),
    NameKey(String),
    Member(String),
}

pub struct Lookups {
    accounts_by_domain: HashMap<String, AccountId>,
    accounts_by_key: HashMap<String, AccountId>,
    team_by_name: HashMap<String, TeamMemberId>,
    pending: Vec<Added>,
}

impl Lookups {
    pub fn load(conn: &Connection) -> Result<Lookups> {
        let mut lookups = Lookups {
            accounts_by_domain: HashMap::new(),
            accounts_by_key: HashMap::new(),
            team_by_name: HashMap::new(),
            pending: Vec::new(),
        };
        for (id, name, domain) in store::accounts::name_index(conn)? {
            if let Some(domain) = domain {
                lookups.accounts_by_domain.insert(domain, id);
            }
            lookups.accounts_by_key.entry(account_name_key(&name)).or_insert(id);
        }
        for member in store::team::list(conn)? {
            lookups.team_by_name.insert(member.name.to_lowercase(), member.id);
        }
        Ok(lookups)
    }

    pub fn account_by_domain(&self, domain: &str) -> Option<AccountId> {
        self.accounts_by_domain.get(domain).copied()
    }

    pub fn account_by_name(&self, name: &str) -> Option<AccountId> {
        self.accounts_by_key.get(&account_name_key(name)).copied()
    }

    pub fn member(&self, name: &str) -> Option<TeamMemberId> {
        self.team_by_name.get(&name.to_lowercase()).copied()
    }

    pub fn add_account(&mut self, id: AccountId, name: &str, domain: Option<&str>) {
        if let Some(domain) = domain {
            if self.accounts_by_domain.insert(domain.to_string(), id).is_none() {
                self.pending.push(Added::Domain(domain.to_string()));
            }
        }
        let key = account_name_key(name);
        if !self.accounts_by_key.contains_key(&key) {
            self.accounts_by_key.insert(key.clone(), id);
            self.pending.push(Added::NameKey(key));
        }
    }

    pub fn add_member(&mut self, id: TeamMemberId, name: &str) {
        self.team_by_name.insert(name.to_lowercase(), id);
        self.pending.push(Added::Member(name.to_lowercase()));
    }

    pub fn commit(&mut self) {
        self.pending.clear();
    }

    pub fn roll_back(&mut self) {
        for added in self.pending.drain(..) {
            match added {
                Added::Domain(d) => {
                    self.accounts_by_domain.remove(&d);
                }
                Added::NameKey(k) => {
                    self.accounts_by_key.remove(&k);
                }
                Added::Member(m) => {
                    self.team_by_name.remove(&m);
                }
            }
        }
    }
}
