//! The SCIM core schemas (RFC 7643 §4, §8.7) as static tables.
//!
//! Both the built-in server (validation, filtering, `/Schemas`) and the harness's `check` stage
//! (normalising what a target returns) need to know which attributes are multi-valued, which
//! compare case-exactly and which are never returned. This module is that one source of truth;
//! it must never hold IdP-specific behaviour.

use super::urn;

/// SCIM attribute data types (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition, as `/Schemas` publishes it.
#[derive(Debug)]
pub struct AttributeDef {
    pub name: &'static str,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub sub_attributes: &'static [AttributeDef],
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub description: &'static str,
}

impl AttributeDef {
    /// Finds a sub-attribute by name; attribute names are case-insensitive (RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&'static AttributeDef> {
        find(self.sub_attributes, name)
    }
}

/// Finds an attribute by case-insensitive name in a table.
pub fn find(table: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    table.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A schema: the core User, the enterprise extension, or the core Group.
#[derive(Debug)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

/// A resource type and the schemas its resources carry.
#[derive(Debug)]
pub struct ResourceTypeDef {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static SchemaDef,
    pub extensions: &'static [&'static SchemaDef],
}

/// Where an attribute name resolved to: its schema (core or an extension) and its definition.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub schema: &'static SchemaDef,
    pub attr: &'static AttributeDef,
    /// True when the attribute lives in an extension, i.e. under the schema URN key in JSON.
    pub in_extension: bool,
}

impl ResourceTypeDef {
    /// Resolves a top-level attribute name, which may be URN-qualified
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`).
    ///
    /// Returns the remaining dotted sub-attribute text, if the qualified name carried one
    /// (`urn:…:User:name.givenName` → `givenName`).
    pub fn resolve<'a>(&self, name: &'a str) -> Option<(Resolved, Option<&'a str>)> {
        let (schema, in_extension, rest) = match self.split_urn(name) {
            Some((schema, rest)) => (schema, !std::ptr::eq(schema, self.schema), rest),
            None => (self.schema, false, name),
        };
        let (attr_name, sub) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let attr = find(schema.attributes, attr_name).or_else(|| {
            // Attributes common to every resource (RFC 7643 §3.1) live in the core namespace.
            if in_extension {
                None
            } else {
                find(COMMON_ATTRIBUTES, attr_name)
            }
        })?;
        Some((
            Resolved {
                schema,
                attr,
                in_extension,
            },
            sub,
        ))
    }

    /// Splits a URN-qualified attribute name into its schema and the attribute part.
    /// Schema URNs are compared case-insensitively, as attribute names are.
    pub fn split_urn<'a>(&self, name: &'a str) -> Option<(&'static SchemaDef, &'a str)> {
        std::iter::once(self.schema)
            .chain(self.extensions.iter().copied())
            .find_map(|schema| {
                let id = schema.id;
                if name.len() > id.len()
                    && name.is_char_boundary(id.len())
                    && name[..id.len()].eq_ignore_ascii_case(id)
                    && name.as_bytes()[id.len()] == b':'
                {
                    Some((schema, &name[id.len() + 1..]))
                } else {
                    None
                }
            })
    }

    /// Finds the extension schema whose URN equals `key` (case-insensitive).
    pub fn extension(&self, key: &str) -> Option<&'static SchemaDef> {
        self.extensions
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(key))
    }

    /// All schema URNs a resource of this type may list in `schemas`.
    pub fn schema_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.schema.id).chain(self.extensions.iter().map(|s| s.id))
    }
}

// ----- attribute table builders ------------------------------------------------------------

const fn attr(name: &'static str, kind: AttrType) -> AttributeDef {
    AttributeDef {
        name,
        kind,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        sub_attributes: &[],
        canonical_values: &[],
        reference_types: &[],
        description: "",
    }
}

const fn string(name: &'static str, description: &'static str) -> AttributeDef {
    let mut a = attr(name, AttrType::String);
    a.description = description;
    a
}

const fn complex(
    name: &'static str,
    multi_valued: bool,
    subs: &'static [AttributeDef],
    description: &'static str,
) -> AttributeDef {
    let mut a = attr(name, AttrType::Complex);
    a.multi_valued = multi_valued;
    a.sub_attributes = subs;
    a.description = description;
    a
}

/// Declares the `value`/`display`/`type`/`primary` table shared by emails, phoneNumbers, ims…
macro_rules! multi_valued_subs {
    ($name:ident, $types:expr) => {
        static $name: &[AttributeDef] = &[
            string("value", "The value of the attribute."),
            string(
                "display",
                "A human-readable name, primarily used for display purposes.",
            ),
            {
                let mut a = string("type", "A label indicating the attribute's function.");
                a.canonical_values = $types;
                a
            },
            attr("primary", AttrType::Boolean),
        ];
    };
}

multi_valued_subs!(EMAIL_SUBS, &["work", "home", "other"]);
multi_valued_subs!(
    PHONE_SUBS,
    &["work", "home", "mobile", "fax", "pager", "other"]
);
multi_valued_subs!(
    IM_SUBS,
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
);
multi_valued_subs!(PHOTO_SUBS, &["photo", "thumbnail"]);
multi_valued_subs!(PLAIN_SUBS, &[]);

const fn read_only(mut a: AttributeDef) -> AttributeDef {
    a.mutability = Mutability::ReadOnly;
    a
}

static META_SUBS: &[AttributeDef] = &[
    {
        let mut a = read_only(string("resourceType", "The resource type name."));
        a.case_exact = true;
        a
    },
    read_only(attr("created", AttrType::DateTime)),
    read_only(attr("lastModified", AttrType::DateTime)),
    {
        let mut a = read_only(attr("location", AttrType::Reference));
        a.case_exact = true;
        a.reference_types = &["uri"];
        a
    },
    {
        let mut a = read_only(string("version", "The version (ETag) of the resource."));
        a.case_exact = true;
        a
    },
];

/// Attributes every resource carries (RFC 7643 §3.1).
pub static COMMON_ATTRIBUTES: &[AttributeDef] = &[
    {
        let mut a = string("id", "Unique identifier assigned by the service provider.");
        a.case_exact = true;
        a.mutability = Mutability::ReadOnly;
        a.returned = Returned::Always;
        a.uniqueness = Uniqueness::Server;
        a
    },
    {
        let mut a = string(
            "externalId",
            "Identifier assigned by the provisioning client.",
        );
        a.case_exact = true;
        a
    },
    complex("meta", false, META_SUBS, "Resource metadata."),
];

static NAME_SUBS: &[AttributeDef] = &[
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family name."),
    string("givenName", "The given name."),
    string("middleName", "The middle name(s)."),
    string("honorificPrefix", "The honorific prefix(es)."),
    string("honorificSuffix", "The honorific suffix."),
];

static ADDRESS_SUBS: &[AttributeDef] = &[
    string("formatted", "The full mailing address."),
    string("streetAddress", "The full street address component."),
    string("locality", "The city or locality component."),
    string("region", "The state or region component."),
    string("postalCode", "The zip code or postal code component."),
    string("country", "The country name component."),
    {
        let mut a = string("type", "A label indicating the attribute's function.");
        a.canonical_values = &["work", "home", "other"];
        a
    },
    attr("primary", AttrType::Boolean),
];

static GROUP_REF_SUBS: &[AttributeDef] = &[
    read_only(string("value", "The identifier of the group.")),
    {
        let mut a = read_only(attr("$ref", AttrType::Reference));
        a.reference_types = &["User", "Group"];
        a
    },
    read_only(string("display", "The display name of the group.")),
    {
        let mut a = read_only(string("type", "direct or indirect membership."));
        a.canonical_values = &["direct", "indirect"];
        a
    },
];

/// `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1).
pub static USER_SCHEMA: SchemaDef = SchemaDef {
    id: urn::USER,
    name: "User",
    description: "User Account",
    attributes: &[
        {
            let mut a = string("userName", "Unique identifier for the User.");
            a.required = true;
            a.uniqueness = Uniqueness::Server;
            a
        },
        complex(
            "name",
            false,
            NAME_SUBS,
            "The components of the user's name.",
        ),
        string("displayName", "The name of the User, suitable for display."),
        string("nickName", "The casual way to address the user."),
        {
            let mut a = attr("profileUrl", AttrType::Reference);
            a.reference_types = &["external"];
            a
        },
        string("title", "The user's title, such as \"Vice President\"."),
        string(
            "userType",
            "The relationship between the organization and the user.",
        ),
        string(
            "preferredLanguage",
            "The user's preferred written or spoken language.",
        ),
        string("locale", "The user's default location."),
        string("timezone", "The User's time zone in IANA format."),
        attr("active", AttrType::Boolean),
        {
            let mut a = string("password", "The User's cleartext password.");
            a.mutability = Mutability::WriteOnly;
            a.returned = Returned::Never;
            a
        },
        complex("emails", true, EMAIL_SUBS, "Email addresses for the user."),
        complex(
            "phoneNumbers",
            true,
            PHONE_SUBS,
            "Phone numbers for the User.",
        ),
        complex(
            "ims",
            true,
            IM_SUBS,
            "Instant messaging addresses for the User.",
        ),
        complex("photos", true, PHOTO_SUBS, "URLs of photos of the User."),
        complex(
            "addresses",
            true,
            ADDRESS_SUBS,
            "A physical mailing address for this User.",
        ),
        read_only(complex(
            "groups",
            true,
            GROUP_REF_SUBS,
            "A list of groups to which the user belongs.",
        )),
        complex(
            "entitlements",
            true,
            PLAIN_SUBS,
            "A list of entitlements for the User.",
        ),
        complex("roles", true, PLAIN_SUBS, "A list of roles for the User."),
        complex(
            "x509Certificates",
            true,
            PLAIN_SUBS,
            "A list of certificates issued to the User.",
        ),
    ],
};

static MANAGER_SUBS: &[AttributeDef] = &[
    string(
        "value",
        "The id of the SCIM resource representing the manager.",
    ),
    {
        let mut a = attr("$ref", AttrType::Reference);
        a.reference_types = &["User"];
        a
    },
    read_only(string("displayName", "The displayName of the manager.")),
];

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (RFC 7643 §4.3).
pub static ENTERPRISE_USER_SCHEMA: SchemaDef = SchemaDef {
    id: urn::ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        string(
            "employeeNumber",
            "Numeric or alphanumeric identifier assigned to a person.",
        ),
        string("costCenter", "Identifies the name of a cost center."),
        string("organization", "Identifies the name of an organization."),
        string("division", "Identifies the name of a division."),
        string("department", "Identifies the name of a department."),
        complex("manager", false, MANAGER_SUBS, "The User's manager."),
    ],
};

static MEMBER_SUBS: &[AttributeDef] = &[
    {
        let mut a = string("value", "Identifier of the member of this Group.");
        a.mutability = Mutability::Immutable;
        a.case_exact = true;
        a
    },
    {
        let mut a = attr("$ref", AttrType::Reference);
        a.mutability = Mutability::Immutable;
        a.reference_types = &["User", "Group"];
        a
    },
    {
        // RFC 7643 §4.2: "sub-attributes of members are immutable" (§2.4 says so of
        // `display` too): the client may name the member, the server keeps that name.
        let mut a = string("display", "A human-readable name of the member.");
        a.mutability = Mutability::Immutable;
        a
    },
    {
        let mut a = string("type", "A label indicating the type of resource.");
        a.mutability = Mutability::Immutable;
        a.canonical_values = &["User", "Group"];
        a
    },
];

/// `urn:ietf:params:scim:schemas:core:2.0:Group` (RFC 7643 §4.2).
pub static GROUP_SCHEMA: SchemaDef = SchemaDef {
    id: urn::GROUP,
    name: "Group",
    description: "Group",
    attributes: &[
        {
            let mut a = string("displayName", "A human-readable name for the Group.");
            a.required = true;
            a.uniqueness = Uniqueness::Server;
            a
        },
        complex(
            "members",
            true,
            MEMBER_SUBS,
            "A list of members of the Group.",
        ),
    ],
};

pub static USER: ResourceTypeDef = ResourceTypeDef {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA,
    extensions: &[&ENTERPRISE_USER_SCHEMA],
};

pub static GROUP: ResourceTypeDef = ResourceTypeDef {
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA,
    extensions: &[],
};

/// Every schema the reference implementation publishes under `/Schemas`.
pub static ALL_SCHEMAS: &[&SchemaDef] = &[&USER_SCHEMA, &ENTERPRISE_USER_SCHEMA, &GROUP_SCHEMA];

/// Every resource type published under `/ResourceTypes`.
pub static ALL_RESOURCE_TYPES: &[&ResourceTypeDef] = &[&USER, &GROUP];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_urn_qualified_enterprise_attribute() {
        let (r, sub) = USER
            .resolve("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            .expect("manager resolves");
        assert!(r.in_extension);
        assert_eq!(r.attr.name, "manager");
        assert_eq!(sub, None);
    }

    #[test]
    fn resolves_case_insensitively_with_sub_attribute() {
        let (r, sub) = USER.resolve("NAME.givenName").expect("name resolves");
        assert!(!r.in_extension);
        assert_eq!(r.attr.name, "name");
        assert_eq!(sub, Some("givenName"));
        let (r, _) = USER
            .resolve("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:userName")
            .expect("core URN prefix resolves");
        assert_eq!(r.attr.name, "userName");
    }

    #[test]
    fn common_attributes_resolve_on_every_type() {
        assert_eq!(
            GROUP.resolve("externalId").map(|(r, _)| r.attr.name),
            Some("externalId")
        );
        assert!(USER.resolve("nonsense").is_none());
        assert!(GROUP.resolve("userName").is_none());
    }
}
