//! `Mode`: the one way the hostile server misbehaves, each variant documenting what the proxy
//! does to the harness's requests or the reference server's answers.

use std::time::Duration;

/// The one way the server misbehaves.
#[derive(Debug, Clone)]
pub enum Mode {
    Honest,
    /// Listings ignore `filter`: every query answers with the whole directory.
    IgnoreFilter,
    /// Create answers carry the id `../Users/<id of a user the run did not create>`.
    TraversalId,
    /// Create answers carry ids made of path syntax: `a/b?c=d#e f<n>`.
    PathSyntaxId,
    /// Create answers (and every later answer) carry the id as a JSON number.
    NumericId,
    /// Create answers (and every later answer) carry no `id`.
    MissingId,
    /// Every JSON answer repeats the Authorization header in `nickName`, and the first
    /// write is answered 500 with the header in its `detail`.
    EchoToken,
    /// `GET /Users/{id}` answers with a body that never ends.
    EndlessBody,
    /// The first update is answered 500 with a 3 MB HTML error page.
    HugeErrorPage,
    /// Every request is answered 308 to another host.
    RedirectAll(String),
    /// Every POST is answered 307 to another host.
    RedirectPost(String),
    /// The first request is answered, then nothing ever is.
    HangAfterFirst,
    /// Listings without a filter repeat the same full page forever, `totalResults` 10^9.
    EndlessListing,
    /// `POST /Users` is carried out at once but answered only after `answer_create` (an
    /// answer that may never come); each DELETE waits `delete` before it is carried out.
    Slow {
        answer_create: Duration,
        delete: Duration,
    },
    /// Every DELETE is answered 500.
    DeleteFails,
    /// Every DELETE is answered 204 and not carried out: the object stays.
    KeepsDeleted,
    // Servers that answer wrongly in one realistic way (verdict tests): the run must name
    // the exchange and the server's answer, not only what followed from it.
    /// A PATCH carrying a string boolean (`"False"`) is answered 400.
    RejectsStringBooleans,
    /// RFC 7643 types, strictly: a POST or PATCH carrying `"active"` as a string is answered
    /// 400 `invalidValue`, one carrying `emails` as a lone object 400 `invalidSyntax`
    /// (OneLogin's template drift, idp-behavior.md OL-6).
    StrictTypes,
    /// RFC 7643 §2.4 strictly: a POST or PUT whose `emails` mark more than one `primary`
    /// (Ping's two mapped emails, idp-behavior.md PF-8 / P1-7) is answered 400
    /// `invalidValue`.
    OnePrimaryEmail,
    /// `emails[].type` is not stored: dropped from what is written and from answers; a PATCH
    /// path filtering on it is answered 400 `noTarget`.
    DropsEmailType,
    /// A PATCH removing `members[value eq …]` is answered 501.
    RejectsMemberFilterRemove,
    /// ListResponses come without `itemsPerPage` and `startIndex`.
    ListWithoutPaging,
    /// Creates are answered 200 instead of 201.
    CreateAnswers200,
    /// Every answer says `Content-Type: text/html` (the body is still JSON).
    HtmlContentType,
    /// The first request is answered 500, everything after correctly.
    FirstRequestFails,
    /// The first two writes are answered 429 with `Retry-After: 1`.
    TooManyRequestsTwice,
    // Servers that break one protocol behaviour (tests/protocol/).
    /// Any bearer token, or none, is accepted.
    AcceptAnyToken,
    /// Creates are answered without a `Location` header.
    NoLocation,
    /// `active: false` on a create is stored as true.
    StoresActiveTrue,
    /// The enterprise `manager` is dropped from what is written.
    DropsManager,
    /// A create refused with 409 is carried out under another userName and answered 201.
    DuplicateCreated,
    /// `userName eq` compares case-sensitively.
    CaseSensitiveUserName,
    /// A filter the server refuses with 400 is answered 200 with every resource.
    BadFilterListsAll,
    /// `excludedAttributes` is ignored.
    IgnoresExcludedAttributes,
    /// `startIndex` and `count` are ignored.
    IgnoresPaging,
    /// `totalResults` counts the page, not every match.
    TotalResultsPerPage,
    /// `count` is ignored: every listing answers up to the server's own maximum (1000).
    IgnoresCount,
    /// `startIndex` is read 0-based: the page asked at `startIndex=s` holds resources s+1…,
    /// answered as if it started at s, so one resource is never listed.
    StartsAtZero,
    /// Listings without a filter come in a new order at every request (the resources
    /// shuffled by a per-request key), so pages overlap and leave gaps.
    ReordersPages,
    /// PATCH ops other than lowercase are answered 400.
    LowercaseOpsOnly,
    /// A PATCH removing `members[value eq …]` removes every member.
    FilteredRemoveRemovesAll,
    /// A group PUT drops the members it carries.
    PutDropsMembers,
    /// A deleted user is still answered 200 by GET.
    GhostAfterDelete,
    /// Discovery endpoints answer 404 with an HTML page.
    NoDiscovery,
    /// Every error is answered as an HTML page.
    HtmlErrors,
    /// GET of an id the server does not hold is answered 200 with an empty object.
    UnknownIdEmpty200,
    /// A filter containing this text is ignored: answered with the whole listing.
    IgnoreFilterWith(&'static str),
    /// A filter whose attribute is spelled `username` in another case than `userName` is
    /// answered 400 `invalidFilter` (attribute names compared case-sensitively).
    CaseSensitiveFilterNames,
    /// ListResponses to a query without a filter carry `totalResults` as a string.
    UnfilteredTotalAsString,
    /// A successful PATCH is answered 200 with an empty body.
    PatchAnswersEmpty200,
    /// Adding a member already present lists it twice from then on.
    ReAddDuplicatesMember,
    /// A user PUT merges: attributes it omits keep their old values.
    PutMerges,
    /// A deleted user is still listed in the members of its groups.
    DeletedUserStaysMember,
    /// `attributes` is ignored.
    IgnoresAttributes,
    /// PATCH ops without a `path` are silently dropped.
    DropsPathLessOps,
    /// A PATCH replacing `emails[type eq …].value` sets every email's value.
    ValuePathReplacesAll,
    /// Answers carry no `ETag` header (while /ServiceProviderConfig says etag.supported).
    NoEtagHeader,
    /// A user create reads the user table, works for a moment and writes the table back
    /// whole: a create that another create overlaps is answered 201 and then overwritten
    /// (a lost update). Creates one at a time are all kept.
    LosesOverlappingCreates,
    /// A group PATCH or PUT that touches members reads the group, works for ~20 ms, then
    /// writes the whole member list back: what it read plus its own change
    /// (`member_race.rs`). Membership writes that overlap undo each other's members; one at
    /// a time they all hold.
    LosesOverlappingMemberWrites,
}
