//! Under which name the target holds an object the run no longer links: what the IdP last
//! sent it with. An object looked for under a name it was never sent with is found absent
//! whatever the server holds, which passes a run that should fail.

use crate::check::Whereabouts;
use crate::profile::Profile;

use super::Run;

impl Run<'_> {
    /// Where `object` is on the target: by id while the run links it (or made it there
    /// itself), else under the name the IdP sent it with.
    pub(super) fn whereabouts(&self, object: &str, is_group: bool) -> Whereabouts {
        if is_group {
            if let Some(id) = self.target_group_refs.get(object) {
                return Whereabouts::Id(id.clone());
            }
            if let Some(g) = self.tenant.group(object) {
                if let Some(link) = self.engine.link(&g.object_id) {
                    return Whereabouts::Id(link.target_id.clone());
                }
            }
            return match self.last_group_name.get(object) {
                Some(name) => Whereabouts::DisplayName(name.clone()),
                None => Whereabouts::Unknown,
            };
        }
        if let Some(id) = self.target_refs.get(object) {
            return Whereabouts::Id(id.clone());
        }
        if let Some(user) = self.tenant.user(object) {
            if let Some(link) = self.engine.link(&user.object_id) {
                return Whereabouts::Id(link.target_id.clone());
            }
            if let Some(name) = self.engine.profile.user_name(user, &self.settings.prefix) {
                return Whereabouts::UserName(name);
            }
        }
        match self.last_user_name.get(object) {
            Some(name) => Whereabouts::UserName(name.clone()),
            None => Whereabouts::Unknown,
        }
    }

    pub(super) fn remember_group_name(&mut self, group: &str) {
        if let Some(g) = self.tenant.group(group) {
            let name = group_name_sent(self.engine.profile, &self.settings.prefix, &g.display_name);
            self.last_group_name.insert(group.to_string(), name);
        }
    }

    /// Remembers, as `user` leaves the source, the userName the target holds for it: what the
    /// IdP last sent while it links the user (`Link::last_desired`: a managed soft-deleted
    /// Entra user's tombstone, §1.6, or the plain name of one it stopped managing before the
    /// soft delete); for a user it never linked, the userName of its attributes, a tombstone
    /// left out. Looked for under any other name, a purged user the server kept would be
    /// found absent.
    pub(super) fn remember_user_name(&mut self, user: &str) {
        let Some(u) = self.tenant.user(user) else {
            return;
        };
        let sent = self
            .engine
            .link(&u.object_id)
            .and_then(|link| link.last_desired.as_ref())
            .and_then(|last| last.unpack().user_name().map(str::to_string));
        let name = sent.or_else(|| {
            let mut before = u.clone();
            before.soft_deleted = false;
            self.engine
                .profile
                .user_name(&before, &self.settings.prefix)
        });
        if let Some(name) = name {
            self.last_user_name.insert(user.to_string(), name);
        }
    }
}

/// The displayName `profile` sends for a source group called `display_name` under the run's
/// `prefix` (PingOne's distinguished name, P1-1): what an expectation on a group no longer
/// linked looks for on the target. Every way a group is made records it so: a generated
/// group recorded under its plain name was looked for under a name it was never sent with,
/// and found absent whatever the server held.
pub(super) fn group_name_sent(profile: &dyn Profile, prefix: &str, display_name: &str) -> String {
    profile.group_display_name(&format!("{prefix}{display_name}"))
}
