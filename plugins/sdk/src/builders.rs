//! Builder-style constructors on the WIT types, so a manifest reads as a list
//! of declarations.

use crate::l10n::fr_en;
use crate::{
    Address, CategoriesStyle, Category, CategoryCase, CategorySet, ChoiceOption, Constraints,
    Diagnostic, Field, FieldGroup, FieldKind, FieldOrigin, FieldValue, Formula, GeoPoint, Icon,
    IdentifierScheme, Identity, ImportedObject, Importer, ImporterColumn, Indicator, LayerStyle,
    Localized, Manifest, MapLayer, ObjectStatus, Ratio, RequestKind, Severity, ThresholdStep,
    ThresholdsStyle, Urgency, Value, VintageKind, VintageScheme,
};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

impl Localized {
    /// A text in French and English.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        fr_en(fr, en)
    }
}

#[allow(clippy::derivable_impls)] // generated type: cannot derive here
impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            required: false,
            min: None,
            max: None,
            max_length: None,
        }
    }
}

impl ChoiceOption {
    /// An option of a choice field.
    pub fn new(key: &str, fr: &str, en: &str) -> Self {
        ChoiceOption {
            key: key.to_string(),
            label: fr_en(fr, en),
        }
    }
}

impl Field {
    /// A citizen field of the given kind, not required, without group.
    pub fn new(key: &str, kind: FieldKind, fr: &str, en: &str) -> Self {
        Field {
            key: key.to_string(),
            label: fr_en(fr, en),
            help: None,
            kind,
            unit: None,
            constraints: Constraints::default(),
            origin: FieldOrigin::Citizen,
            group: None,
        }
    }
    /// A whole number.
    pub fn integer(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::Integer, fr, en)
    }
    /// A number with decimals.
    pub fn decimal(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::Decimal, fr, en)
    }
    /// One line of text.
    pub fn text(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::Text, fr, en)
    }
    /// Several lines of text.
    pub fn long_text(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::LongText, fr, en)
    }
    /// Yes or no.
    pub fn boolean(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::Boolean, fr, en)
    }
    /// One option among `options`.
    pub fn choice(
        key: &str,
        fr: &str,
        en: &str,
        options: impl IntoIterator<Item = ChoiceOption>,
    ) -> Self {
        Self::new(
            key,
            FieldKind::Choice(options.into_iter().collect()),
            fr,
            en,
        )
    }
    /// A date `YYYY-MM-DD`.
    pub fn date(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::Date, fr, en)
    }
    /// A date and time `YYYY-MM-DDTHH:MM`.
    pub fn date_time(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::DateTime, fr, en)
    }
    /// An absolute `http(s)://` address.
    pub fn url(key: &str, fr: &str, en: &str) -> Self {
        Self::new(key, FieldKind::Url, fr, en)
    }
    /// Sets the help sentence.
    pub fn help(mut self, fr: &str, en: &str) -> Self {
        self.help = Some(fr_en(fr, en));
        self
    }
    /// Sets the unit shown after the value.
    pub fn unit(mut self, fr: &str, en: &str) -> Self {
        self.unit = Some(fr_en(fr, en));
        self
    }
    /// Sets an inclusive lower bound.
    pub fn min(mut self, min: f64) -> Self {
        self.constraints.min = Some(min);
        self
    }
    /// Sets an inclusive upper bound.
    pub fn max(mut self, max: f64) -> Self {
        self.constraints.max = Some(max);
        self
    }
    /// Sets both bounds.
    pub fn range(self, min: f64, max: f64) -> Self {
        self.min(min).max(max)
    }
    /// Limits the length of a text, in characters.
    pub fn max_length(mut self, max_length: u32) -> Self {
        self.constraints.max_length = Some(max_length);
        self
    }
    /// Makes the field required.
    pub fn required(mut self) -> Self {
        self.constraints.required = true;
        self
    }
    /// Marks the field official: maintained by Garants and importers,
    /// read-only for citizens.
    pub fn official(mut self) -> Self {
        self.origin = FieldOrigin::Official;
        self
    }
    /// Puts the field in a group of the manifest.
    pub fn group(mut self, group: &str) -> Self {
        self.group = Some(group.to_string());
        self
    }
    /// True for integer and decimal fields.
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind, FieldKind::Integer | FieldKind::Decimal)
    }
    /// True for text, long text and url fields.
    pub fn is_textual(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Text | FieldKind::LongText | FieldKind::Url
        )
    }
}

impl Identity {
    /// An identity; the icon defaults to the key as icon name.
    pub fn new(key: &str, name: Localized, plural_name: Localized, description: Localized) -> Self {
        Identity {
            key: key.to_string(),
            name,
            plural_name,
            description,
            icon: Icon::Name(key.to_string()),
            color: "#1f78b4".to_string(),
        }
    }
    /// Uses an icon of the host's set.
    pub fn icon_name(mut self, name: &str) -> Self {
        self.icon = Icon::Name(name.to_string());
        self
    }
    /// Uses a standalone SVG document as icon.
    pub fn icon_svg(mut self, svg: &str) -> Self {
        self.icon = Icon::Svg(svg.to_string());
        self
    }
    /// Sets the map colour, `#rrggbb`.
    pub fn color(mut self, color: &str) -> Self {
        self.color = color.to_string();
        self
    }
}

impl IdentifierScheme {
    /// Describes the official identifier.
    pub fn new(key: &str, label: Localized, description: Localized, examples: &[&str]) -> Self {
        IdentifierScheme {
            key: key.to_string(),
            label,
            description,
            examples: strings(examples),
        }
    }
}

impl VintageScheme {
    /// School years written `2024-2025`.
    pub fn school_year() -> Self {
        VintageScheme {
            kind: VintageKind::SchoolYear,
            label: fr_en("Année scolaire", "School year"),
            examples: strings(&["2024-2025", "2025-2026"]),
        }
    }
    /// Calendar years written `2024`.
    pub fn calendar_year() -> Self {
        VintageScheme {
            kind: VintageKind::CalendarYear,
            label: fr_en("Année", "Year"),
            examples: strings(&["2024", "2025"]),
        }
    }
}

impl Indicator {
    /// `Σ numerator / Σ denominator` (see [`Indicator::scale`]).
    pub fn ratio(key: &str, fr: &str, en: &str, numerator: &[&str], denominator: &[&str]) -> Self {
        Indicator {
            key: key.to_string(),
            label: fr_en(fr, en),
            description: fr_en(fr, en),
            unit: None,
            decimals: 1,
            formula: Formula::Ratio(Ratio {
                numerator: strings(numerator),
                denominator: strings(denominator),
                scale: 1.0,
            }),
        }
    }
    /// An indicator computed by [`crate::ObjectType::custom_indicators`].
    pub fn custom(key: &str, fr: &str, en: &str) -> Self {
        Indicator {
            key: key.to_string(),
            label: fr_en(fr, en),
            description: fr_en(fr, en),
            unit: None,
            decimals: 1,
            formula: Formula::Custom,
        }
    }
    /// Multiplies a ratio, e.g. by 100 for a percentage.
    pub fn scale(mut self, scale: f64) -> Self {
        if let Formula::Ratio(ratio) = &mut self.formula {
            ratio.scale = scale;
        }
        self
    }
    /// Number of decimals to display.
    pub fn decimals(mut self, decimals: u8) -> Self {
        self.decimals = decimals;
        self
    }
    /// Unit shown after the value.
    pub fn unit(mut self, fr: &str, en: &str) -> Self {
        self.unit = Some(fr_en(fr, en));
        self
    }
    /// Longer explanation (defaults to the label).
    pub fn description(mut self, fr: &str, en: &str) -> Self {
        self.description = fr_en(fr, en);
        self
    }
}

impl Category {
    /// A request category.
    pub fn new(key: &str, fr: &str, en: &str) -> Self {
        Category {
            key: key.to_string(),
            label: fr_en(fr, en),
        }
    }
}

impl CategorySet {
    /// A named list of request categories.
    pub fn new(key: &str, fr: &str, en: &str, categories: Vec<Category>) -> Self {
        CategorySet {
            key: key.to_string(),
            label: fr_en(fr, en),
            categories,
        }
    }
}

impl RequestKind {
    /// A request kind of normal urgency, without extra fields.
    pub fn new(key: &str, fr: &str, en: &str) -> Self {
        RequestKind {
            key: key.to_string(),
            label: fr_en(fr, en),
            description: fr_en(fr, en),
            default_urgency: Urgency::Normal,
            urgency_locked: false,
            notify_immediately: false,
            response_delay_months: None,
            printable: false,
            category_sets: Vec::new(),
            fields: Vec::new(),
        }
    }
    /// Longer explanation shown when choosing the kind.
    pub fn description(mut self, fr: &str, en: &str) -> Self {
        self.description = fr_en(fr, en);
        self
    }
    /// Urgency of a new request.
    pub fn urgency(mut self, urgency: Urgency) -> Self {
        self.default_urgency = urgency;
        self
    }
    /// The requester cannot change the urgency.
    pub fn urgency_locked(mut self) -> Self {
        self.urgency_locked = true;
        self
    }
    /// Recipients are notified as soon as the request is filed.
    pub fn notify_immediately(mut self) -> Self {
        self.notify_immediately = true;
        self
    }
    /// Legal delay to answer once acknowledged.
    pub fn response_delay_months(mut self, months: u8) -> Self {
        self.response_delay_months = Some(months);
        self
    }
    /// The host offers a printable form.
    pub fn printable(mut self) -> Self {
        self.printable = true;
        self
    }
    /// Category sets a request of this kind may use.
    pub fn category_sets(mut self, keys: &[&str]) -> Self {
        self.category_sets = strings(keys);
        self
    }
    /// Adds an extra field.
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }
}

impl ThresholdStep {
    /// Values strictly below `upper_bound` (and not in an earlier step).
    pub fn below(upper_bound: f64, color: &str, fr: &str, en: &str) -> Self {
        ThresholdStep {
            upper_bound: Some(upper_bound),
            color: color.to_string(),
            label: fr_en(fr, en),
        }
    }
    /// Every value above the previous steps; must come last.
    pub fn rest(color: &str, fr: &str, en: &str) -> Self {
        ThresholdStep {
            upper_bound: None,
            color: color.to_string(),
            label: fr_en(fr, en),
        }
    }
}

impl CategoryCase {
    /// Colour for one value of a choice or boolean field.
    pub fn new(value: Value, color: &str, fr: &str, en: &str) -> Self {
        CategoryCase {
            value,
            color: color.to_string(),
            label: fr_en(fr, en),
        }
    }
}

impl LayerStyle {
    /// Colours objects by classes of a numeric field or indicator.
    pub fn thresholds(variable: &str, steps: Vec<ThresholdStep>, missing_color: &str) -> Self {
        LayerStyle::Thresholds(ThresholdsStyle {
            variable: variable.to_string(),
            steps,
            missing_color: missing_color.to_string(),
        })
    }
    /// Colours objects by the value of a choice or boolean field.
    pub fn categories(variable: &str, cases: Vec<CategoryCase>, other_color: &str) -> Self {
        LayerStyle::Categories(CategoriesStyle {
            variable: variable.to_string(),
            cases,
            other_color: other_color.to_string(),
        })
    }
}

impl MapLayer {
    /// A layer, hidden until the user shows it.
    pub fn new(key: &str, fr: &str, en: &str, style: LayerStyle) -> Self {
        MapLayer {
            key: key.to_string(),
            label: fr_en(fr, en),
            description: fr_en(fr, en),
            default_visible: false,
            style,
        }
    }
    /// Longer explanation (legend title).
    pub fn description(mut self, fr: &str, en: &str) -> Self {
        self.description = fr_en(fr, en);
        self
    }
    /// Shows the layer when the map opens.
    pub fn visible_by_default(mut self) -> Self {
        self.default_visible = true;
        self
    }
}

impl ImporterColumn {
    /// A column that must be in the header for the dataset to be recognised.
    pub fn required(names: &[&str], fr: &str, en: &str) -> Self {
        ImporterColumn {
            names: strings(names),
            required: true,
            description: fr_en(fr, en),
        }
    }
    /// A column read when present.
    pub fn optional(names: &[&str], fr: &str, en: &str) -> Self {
        ImporterColumn {
            names: strings(names),
            required: false,
            description: fr_en(fr, en),
        }
    }
}

impl Importer {
    /// An importer; add columns with [`Importer::column`].
    pub fn new(key: &str, fr: &str, en: &str) -> Self {
        Importer {
            key: key.to_string(),
            label: fr_en(fr, en),
            description: fr_en(fr, en),
            source_url: None,
            attribution: String::new(),
            columns: Vec::new(),
        }
    }
    /// Longer explanation.
    pub fn description(mut self, fr: &str, en: &str) -> Self {
        self.description = fr_en(fr, en);
        self
    }
    /// Where the dataset is published.
    pub fn source_url(mut self, url: &str) -> Self {
        self.source_url = Some(url.to_string());
        self
    }
    /// Attribution and licence kept with imported data.
    pub fn attribution(mut self, attribution: &str) -> Self {
        self.attribution = attribution.to_string();
        self
    }
    /// Declares a column.
    pub fn column(mut self, column: ImporterColumn) -> Self {
        self.columns.push(column);
        self
    }
}

impl Manifest {
    /// A manifest with identity, identifier and vintage schemes; add the rest
    /// with the builder methods.
    pub fn new(
        plugin_version: &str,
        identity: Identity,
        identifier: IdentifierScheme,
        vintage: VintageScheme,
    ) -> Self {
        Manifest {
            plugin_version: plugin_version.to_string(),
            identity,
            identifier,
            vintage,
            groups: Vec::new(),
            fields: Vec::new(),
            indicators: Vec::new(),
            category_sets: Vec::new(),
            request_kinds: Vec::new(),
            layers: Vec::new(),
            importers: Vec::new(),
        }
    }
    /// Adds a group of fields.
    pub fn group(mut self, key: &str, fr: &str, en: &str) -> Self {
        self.groups.push(FieldGroup {
            key: key.to_string(),
            label: fr_en(fr, en),
        });
        self
    }
    /// Adds a field.
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }
    /// Adds a derived indicator.
    pub fn indicator(mut self, indicator: Indicator) -> Self {
        self.indicators.push(indicator);
        self
    }
    /// Adds a set of request categories.
    pub fn category_set(mut self, set: CategorySet) -> Self {
        self.category_sets.push(set);
        self
    }
    /// Adds a request kind.
    pub fn request_kind(mut self, kind: RequestKind) -> Self {
        self.request_kinds.push(kind);
        self
    }
    /// Adds a map layer.
    pub fn layer(mut self, layer: MapLayer) -> Self {
        self.layers.push(layer);
        self
    }
    /// Adds an importer.
    pub fn importer(mut self, importer: Importer) -> Self {
        self.importers.push(importer);
        self
    }
    /// The field with that key.
    pub fn find_field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
    /// The indicator with that key.
    pub fn find_indicator(&self, key: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.key == key)
    }
    /// The request kind with that key.
    pub fn find_request_kind(&self, key: &str) -> Option<&RequestKind> {
        self.request_kinds.iter().find(|k| k.key == key)
    }
    /// The importer with that key.
    pub fn find_importer(&self, key: &str) -> Option<&Importer> {
        self.importers.iter().find(|i| i.key == key)
    }
}

impl Diagnostic {
    /// A diagnostic that refuses the input.
    pub fn error(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Diagnostic {
            field: None,
            severity: Severity::Error,
            code: code.to_string(),
            message: fr_en(fr, en),
        }
    }
    /// A diagnostic that accepts the input but flags it for moderators.
    pub fn warning(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Diagnostic {
            field: None,
            severity: Severity::Warning,
            code: code.to_string(),
            message: fr_en(fr, en),
        }
    }
    /// Attaches the diagnostic to a field (or a column).
    pub fn on(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }
    /// True when the input is refused.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl Address {
    /// A postal address.
    pub fn new(street: &str, postcode: &str, city: &str) -> Self {
        Address {
            street: street.to_string(),
            postcode: postcode.to_string(),
            city: city.to_string(),
            insee_code: None,
        }
    }
    /// Sets the INSEE code of the commune.
    pub fn insee_code(mut self, code: &str) -> Self {
        self.insee_code = Some(code.to_string());
        self
    }
}

impl ImportedObject {
    /// An object known by its official identifier, with nothing else yet.
    pub fn new(identifier: &str) -> Self {
        ImportedObject {
            identifier: identifier.to_string(),
            official_name: None,
            address: None,
            location: None,
            status: None,
            opened_on: None,
            vintage: None,
            facts: Vec::new(),
            warnings: Vec::new(),
        }
    }
    /// Sets the official name.
    pub fn name(mut self, name: &str) -> Self {
        self.official_name = Some(name.to_string());
        self
    }
    /// Sets the postal address.
    pub fn address(mut self, address: Address) -> Self {
        self.address = Some(address);
        self
    }
    /// Sets the WGS 84 position.
    pub fn location(mut self, lat: f64, lon: f64) -> Self {
        self.location = Some(GeoPoint { lat, lon });
        self
    }
    /// Sets whether the object is open.
    pub fn status(mut self, status: ObjectStatus) -> Self {
        self.status = Some(status);
        self
    }
    /// Sets the opening date `YYYY-MM-DD`.
    pub fn opened_on(mut self, date: &str) -> Self {
        self.opened_on = Some(date.to_string());
        self
    }
    /// Sets the vintage the facts belong to (normalised by the SDK).
    pub fn vintage(mut self, vintage: &str) -> Self {
        self.vintage = Some(vintage.to_string());
        self
    }
    /// Adds an official fact.
    pub fn fact(mut self, key: &str, value: Value) -> Self {
        self.facts.push(FieldValue::new(key, value));
        self
    }
    /// Adds an official fact when there is a value.
    pub fn fact_opt(self, key: &str, value: Option<Value>) -> Self {
        match value {
            Some(value) => self.fact(key, value),
            None => self,
        }
    }
    /// Records a problem that did not prevent the import.
    pub fn warn(mut self, warning: Diagnostic) -> Self {
        self.warnings.push(warning);
        self
    }
    /// The fact with that key.
    pub fn find_fact(&self, key: &str) -> Option<&Value> {
        self.facts.iter().find(|f| f.key == key).map(|f| &f.value)
    }
}

impl FieldValue {
    /// One value of one field.
    pub fn new(key: &str, value: Value) -> Self {
        FieldValue {
            key: key.to_string(),
            value,
        }
    }
}

impl Value {
    /// A text value.
    pub fn text(text: impl Into<String>) -> Self {
        Value::Text(text.into())
    }
    /// The key of a choice option.
    pub fn choice(key: impl Into<String>) -> Self {
        Value::Choice(key.into())
    }
    /// The integer, if this is an integer.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
    /// The number, if this is an integer or a finite decimal.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(*i as f64),
            Value::Decimal(d) if d.is_finite() => Some(*d),
            _ => None,
        }
    }
    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    /// The string of a text, choice, date, date-time or url value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s)
            | Value::Choice(s)
            | Value::Date(s)
            | Value::DateTime(s)
            | Value::Url(s) => Some(s),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Decimal(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Boolean(value)
    }
}
