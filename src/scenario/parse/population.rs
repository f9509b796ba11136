//! Real-size directories: `create_users` (a `{n}` template, kept as a template: each user is
//! made from it when the step is applied, as one `create_user` would make it) and the user
//! sets the other steps take — a ref, a range `u1..u300`, or a list of them, optionally
//! thinned with `every: k`. A bad range or template is reported once, at its position, not
//! once per user.

use std::collections::{BTreeMap, HashSet};

use saphyr::{Scalar, YamlData};

use super::directory::is_ref_name;
use super::Parser;
use crate::scenario::error::ErrorKind;
use crate::scenario::model::{Cycle, GroupPopulation, Population, Ref, Step, UserAttr, UserSpec};
use crate::scenario::node::{as_str, item, At, Entry, Map, Node};
use crate::scenario::population::{self, MAX_USERS, PLACEHOLDER};
use crate::scenario::refs::{Accept, RefKind, Usage};

/// The keys of a user selection: the set and how to thin it.
pub(super) const SELECTION_KEYS: &[&str] = &["users", "every"];

impl Parser<'_> {
    /// `create_users: { count: 300, template: { user: "u{n}", userPrincipalName: … } }`.
    pub(super) fn create_users(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `count` and `template`")?;
        self.r.check_keys(&map, &["count", "template"]);
        let count =
            self.r
                .required(&map, "count")
                .and_then(|c| match self.r.count(c.value, &c.path) {
                    Some(n) if (1..=MAX_USERS).contains(&n) => Some(n),
                    Some(_) => {
                        let expected = format!("a number of users from 1 to {MAX_USERS}");
                        self.r.invalid(c.value, &c.path, &expected);
                        None
                    }
                    None => None,
                });
        let template = self.r.required(&map, "template")?;
        let tmap = self.r.map(
            template.value,
            At::of(template.key_node),
            &template.path,
            "a map of user attributes, with `{n}` where each user's number goes",
        )?;
        self.r.check_keys(&tmap, &Self::user_keys());
        let user = self
            .r
            .required(&tmap, "user")
            .and_then(|u| self.ref_template(u));
        self.r.required(&tmap, "userPrincipalName");
        let mut cycles: BTreeMap<UserAttr, Cycle> = BTreeMap::new();
        let mut ok = true;
        for a in &tmap.entries {
            let Some((_, attr)) = UserAttr::ALL.iter().find(|(n, _)| *n == a.key) else {
                continue;
            };
            if *attr == UserAttr::Manager {
                let message = "`manager` cannot be generated: give managers with `update_user` \
                               after `create_users`"
                    .to_string();
                self.r.report(
                    At::of(a.key_node),
                    ErrorKind::InvalidShape,
                    &a.path,
                    message,
                );
                ok = false;
                continue;
            }
            match self.cycle(a, *attr) {
                Some(c) => {
                    cycles.insert(*attr, c);
                }
                None => ok = false,
            }
        }
        let (count, (user, user_node)) = (count?, user?);
        if !ok {
            return None;
        }
        let population = Population::new(user, cycles, count);
        // Each ref is made to be checked and then dropped: the step keeps the template, so
        // a 100,000-user population is not held twice (here and in the IdP's tenant).
        for n in 1..=count {
            // One duplicate is reported; the rest of the population would repeat it.
            let name = population.user(n);
            if !self.create_named(&name, user_node.value, &user_node.path, RefKind::User) {
                return None;
            }
        }
        Some(Step::CreateUsers(population))
    }

    /// `create_groups: { count: 210, template: { group: "g{n}", displayName: "Team {n}" } }`:
    /// generated groups without members, for listings of groups that span pages.
    pub(super) fn create_groups(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `count` and `template`")?;
        self.r.check_keys(&map, &["count", "template"]);
        let count = self
            .r
            .required(&map, "count")
            .and_then(|c| self.population_count(c));
        let template = self.r.required(&map, "template")?;
        let tmap = self.r.map(
            template.value,
            At::of(template.key_node),
            &template.path,
            "a map with `group` and `displayName`, with `{n}` where each group's number goes",
        )?;
        self.r.check_keys(&tmap, &["group", "displayName"]);
        let group = self
            .r
            .required(&tmap, "group")
            .and_then(|g| self.ref_template(g));
        let names = self
            .r
            .required(&tmap, "displayName")
            .and_then(|d| self.cycle(d, UserAttr::DisplayName));
        let (count, (group, group_node), names) = (count?, group?, names?);
        // `displayName` is read as text, never as a boolean.
        let Cycle::Text(names) = names else {
            return None;
        };
        let population = GroupPopulation::new(group, names, count);
        for n in 1..=count {
            let name = population.group(n);
            if !self.create_named(&name, group_node.value, &group_node.path, RefKind::Group) {
                return None;
            }
        }
        Some(Step::CreateGroups(population))
    }

    /// The `count` of a population: 1 to `MAX_USERS`.
    fn population_count(&mut self, c: &Entry) -> Option<u64> {
        match self.r.count(c.value, &c.path) {
            Some(n) if (1..=MAX_USERS).contains(&n) => Some(n),
            Some(_) => {
                let expected = format!("a number from 1 to {MAX_USERS}");
                self.r.invalid(c.value, &c.path, &expected);
                None
            }
            None => None,
        }
    }

    /// The `user` or `group` of a template: a ref spelling with `{n}` in it, so each user gets its own.
    fn ref_template<'e, 'n, 'i>(
        &mut self,
        u: &'e Entry<'n, 'i>,
    ) -> Option<(String, &'e Entry<'n, 'i>)> {
        match as_str(u.value) {
            Some(t) if t.contains(PLACEHOLDER) && is_ref_name(&population::fill(t, 1)) => {
                Some((t.to_string(), u))
            }
            _ => {
                self.r.invalid(
                    u.value,
                    &u.path,
                    "a ref template with `{n}`, such as `u{n}` (letters, digits, `_`, `-`, `.`)",
                );
                None
            }
        }
    }

    /// One template attribute: a value for every user, or a non-empty list cycled over them.
    fn cycle(&mut self, a: &Entry, attr: UserAttr) -> Option<Cycle> {
        let one = |p: &mut Self, node: &Node, field: &str| -> Option<Cycle> {
            if attr == UserAttr::AccountEnabled {
                p.r.boolean(node, field).map(|b| Cycle::Bool(vec![b]))
            } else {
                p.r.text(node, field).map(|t| Cycle::Text(vec![t]))
            }
        };
        let YamlData::Sequence(items) = &a.value.data else {
            return one(self, a.value, &a.path);
        };
        if items.is_empty() {
            self.r.invalid(
                a.value,
                &a.path,
                "a value, or a non-empty list to cycle over",
            );
            return None;
        }
        let mut out: Option<Cycle> = None;
        let mut ok = true;
        for (i, node) in items.iter().enumerate() {
            match (one(self, node, &item(&a.path, i)), &mut out) {
                (Some(Cycle::Text(t)), Some(Cycle::Text(all))) => all.extend(t),
                (Some(Cycle::Bool(b)), Some(Cycle::Bool(all))) => all.extend(b),
                (Some(c), None) => out = Some(c),
                _ => ok = false,
            }
        }
        if ok {
            out
        } else {
            None
        }
    }

    /// A set of users: a ref, a range `u1..u300`, or a list of them, in order, each user
    /// once. Refs are checked like any other use; the first bad one of a range is reported
    /// and the rest of it is not, so a wrong range is one error.
    pub(super) fn user_set(
        &mut self,
        node: &Node,
        field: &str,
        accept: Accept,
        usage: Usage,
    ) -> Option<Vec<Ref>> {
        let items: Vec<(&Node, String)> = match &node.data {
            YamlData::Sequence(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, n)| (n, item(field, i)))
                .collect(),
            YamlData::Sequence(_) => {
                self.r
                    .invalid(node, field, "a non-empty list of refs and ranges");
                return None;
            }
            _ => vec![(node, field.to_string())],
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut ok = true;
        for (node, field) in items {
            let text = match &node.data {
                YamlData::Value(Scalar::String(s)) => s.to_string(),
                _ => {
                    self.r
                        .invalid(node, &field, "a user ref or a range such as `u1..u300`");
                    ok = false;
                    continue;
                }
            };
            let names = match population::range(&text) {
                Ok(Some(names)) => names,
                Ok(None) => match self.use_ref(node, &field, accept, usage) {
                    Some(r) => vec![r],
                    None => {
                        ok = false;
                        continue;
                    }
                },
                Err(why) => {
                    let message = format!("invalid range `{text}`: {why}");
                    self.r
                        .report(At::of(node), ErrorKind::InvalidValue, &field, message);
                    ok = false;
                    continue;
                }
            };
            for name in names {
                if !self.check_ref(&name, node, &field, accept, usage) {
                    ok = false;
                    break;
                }
                if seen.insert(name.clone()) {
                    out.push(name);
                }
            }
        }
        ok.then_some(out)
    }

    /// `users` (required) and `every` (optional) of a map: the selected users.
    pub(super) fn selection(
        &mut self,
        map: &Map,
        accept: Accept,
        usage: Usage,
    ) -> Option<Vec<Ref>> {
        let users = self
            .r
            .required(map, "users")
            .and_then(|u| self.user_set(u.value, &u.path, accept, usage));
        let every = match map.get("every") {
            Some(k) => match self.r.count(k.value, &k.path) {
                Some(k) if k >= 1 => Some(Some(k)),
                Some(_) => {
                    self.r
                        .invalid(k.value, &k.path, "a step of at least 1 (`every: 3`)");
                    None
                }
                None => None,
            },
            None => Some(None),
        };
        let (users, every) = (users?, every?);
        Some(match every {
            Some(k) => population::every(users, k),
            None => users,
        })
    }

    /// A value that is only a selection map: `members: { users: … }`, `assign: { users: … }`.
    pub(super) fn selection_entry(&mut self, e: &Entry) -> Option<Vec<Ref>> {
        self.selection_entry_as(e, Accept::User, Usage::Act)
    }

    /// `selection_entry` for refs of the kinds `accept` allows.
    pub(super) fn selection_entry_as(
        &mut self,
        e: &Entry,
        accept: Accept,
        usage: Usage,
    ) -> Option<Vec<Ref>> {
        let map = self.step_map(
            e,
            "a map with `users` (a ref, a range such as `u1..u300`, or a list) and optional `every`",
        )?;
        self.r.check_keys(&map, SELECTION_KEYS);
        self.selection(&map, accept, usage)
    }

    /// `update_users: { users: "u1..u300", every: 3, department: Ops }`: the same change to
    /// each selected user (`{n}` in a value is not filled in: the users need not be numbered).
    pub(super) fn update_users(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `users`, optional `every`, and attributes")?;
        let keys: Vec<&str> = SELECTION_KEYS
            .iter()
            .copied()
            .chain(UserAttr::ALL.iter().map(|(n, _)| *n))
            .collect();
        self.r.check_keys(&map, &keys);
        let users = self.selection(&map, Accept::User, Usage::Act);
        if map.entries.iter().all(|a| SELECTION_KEYS.contains(&a.key)) {
            let message = "`update_users` changes nothing: give at least one attribute besides \
                           `users` and `every`"
                .to_string();
            self.r.report(
                At::of(e.key_node),
                ErrorKind::InvalidShape,
                &e.path,
                message,
            );
            return None;
        }
        if let Some(m) = map.get("manager") {
            // A profile decides per step whether it provisions managers; a set step keeps
            // them out so every profile can run it.
            let message =
                "`manager` cannot be set on a set of users: use `update_user`".to_string();
            self.r.report(
                At::of(m.key_node),
                ErrorKind::InvalidShape,
                &m.path,
                message,
            );
            return None;
        }
        let attrs = self.user_attrs(&map, true)?;
        Some(Step::UpdateUsers(
            users?
                .into_iter()
                .map(|user| UserSpec {
                    user,
                    attrs: attrs.clone(),
                })
                .collect(),
        ))
    }
}
