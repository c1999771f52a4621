//! Human names for grammar rules, so no raw rule name reaches a user.
//!
//! The match in [`human_name`] is exhaustive: a new grammar rule does not
//! compile until it says how a person would call it.

use super::Rule;

/// How a person would describe what a grammar rule matches.
pub fn human_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI | Rule::end_of_file => "the end of the file",
        Rule::file | Rule::item_only | Rule::item_alone | Rule::item => {
            "a declaration such as `rule`, `let` or `score`"
        }
        Rule::WHITESPACE => "white space",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::rparen => "`)`",
        Rule::rbracket => "`]`",
        Rule::assign => "`=`",
        Rule::colon => "`:`",
        Rule::COMMENT => "a comment",
        Rule::waiver_item => "`tasks`, `reason`, `owner` or `expires`",
        Rule::test_item => "`given`, `expect` or `today`",
        Rule::prefix => "`not` or `-`",
        Rule::postfix => "`in [...]`",
        Rule::infix => "an operator",
        Rule::primary => "an expression such as `hours > 10`",
        Rule::ident_char => "a letter, digit or `_`",
        Rule::reserved => "a reserved word",
        Rule::ident | Rule::name => "a name",
        Rule::kw_and | Rule::op_and => "`and`",
        Rule::kw_or | Rule::op_or => "`or`",
        Rule::kw_not | Rule::op_not => "`not`",
        Rule::kw_in => "`in`",
        Rule::kw_if => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_match => "`match`",
        Rule::kw_where | Rule::call_where => "`where`",
        Rule::kw_true => "`true`",
        Rule::kw_false => "`false`",
        Rule::kw_label | Rule::label_ref => "`label`",
        Rule::kw_otherwise => "`otherwise`",
        Rule::kw_input => "`input`",
        Rule::kw_key => "`key`",
        Rule::kw_let => "`let`",
        Rule::kw_score => "`score`",
        Rule::kw_rule => "`rule`",
        Rule::kw_when | Rule::rule_when => "`when`",
        Rule::kw_because | Rule::because => "`because`",
        Rule::kw_output => "`output`",
        Rule::kw_metric => "`metric`",
        Rule::kw_policy => "`policy`",
        Rule::kw_unless | Rule::unless => "`unless`",
        Rule::kw_message | Rule::message => "`message`",
        Rule::kw_waiver => "`waiver`",
        Rule::kw_tasks | Rule::waiver_tasks => "`tasks`",
        Rule::kw_reason | Rule::waiver_reason => "`reason`",
        Rule::kw_owner | Rule::waiver_owner => "`owner`",
        Rule::kw_expires | Rule::waiver_expires => "`expires`",
        Rule::kw_test => "`test`",
        Rule::kw_given | Rule::given => "`given`",
        Rule::kw_expect | Rule::expect => "`expect`",
        Rule::kw_today | Rule::test_today => "`today`",
        Rule::kw_enum | Rule::enum_type => "`enum(...)`",
        Rule::kw_from | Rule::field_from => "`from \"column\"`",
        Rule::number => "a number",
        Rule::signed_number => "a number such as `10` or `-5`",
        Rule::date => "a date such as `2027-06-30`",
        Rule::string | Rule::istring => "a string in double quotes",
        Rule::str_inner | Rule::istr_text => "the text of a string",
        Rule::escape => "an escape such as `\\n`, `\\\"` or `\\u{e9}`",
        Rule::istr_brace => "`{{` or `}}`",
        Rule::istr_expr => "`{expression}`",
        Rule::boolean => "`true` or `false`",
        Rule::input_block => "`input { ... }`",
        Rule::field_decl => "a field such as `hours: number`",
        Rule::field_type | Rule::base_type => {
            "a type: `text`, `number`, `bool`, `date` or `enum(a, b)`"
        }
        Rule::optional_mark => "`?`",
        Rule::field_default => "`= default`",
        Rule::literal => "a value: a number, string, date, `true`, `false` or an enum value",
        Rule::key_decl => "`key field`",
        Rule::let_decl => "`let name = expression`",
        Rule::score_decl => "`score name = start in low..high`",
        Rule::score_range => "`in low..high`",
        Rule::rule_decl => "`rule \"name\" when condition { ... }`",
        Rule::action => "an action such as `knowledge += 10`",
        Rule::assign_op => "`+=`, `-=` or `=`",
        Rule::label_block => "`label { ... }`",
        Rule::label_line => "a label line such as `kpo when knowledge >= 50`",
        Rule::output_decl => "`output name = expression`",
        Rule::metric_decl => "`metric name = expression`",
        Rule::policy_decl => "`policy \"name\" deny when condition`",
        Rule::severity => "`deny` or `warn`",
        Rule::waiver_decl => "`waiver \"policy\" { ... }`",
        Rule::test_decl => "`test \"name\" { ... }`",
        Rule::record_list => "a list of tasks `[{...}, {...}]`",
        Rule::record => "a task such as `{ hours: 10, core: false }`",
        Rule::record_field => "a field value such as `hours: 10`",
        Rule::expect_policy => "`denied \"policy\"`, `warned \"policy\"` or `passes \"policy\"`",
        Rule::expect_kind => "`denied`, `warned` or `passes`",
        Rule::expr | Rule::op_expr | Rule::paren => "an expression such as `hours > 10`",
        Rule::if_expr => "`if condition then value else value`",
        Rule::op_neg => "`-`",
        Rule::in_list | Rule::op_in => "`in [...]`",
        Rule::op_eq => "`==`",
        Rule::op_ne => "`!=`",
        Rule::op_le => "`<=`",
        Rule::op_ge => "`>=`",
        Rule::op_lt => "`<`",
        Rule::op_gt => "`>`",
        Rule::op_coalesce => "`??`",
        Rule::op_add => "`+`",
        Rule::op_sub => "`-`",
        Rule::op_mul => "`*`",
        Rule::op_div => "`/`",
        Rule::call => "a function call such as `round(x)`",
        Rule::list => "a list such as `[\"a\", \"b\"]`",
        Rule::match_expr => "`match value { ... }`",
        Rule::match_arm => "a match arm such as `degree => 40`",
        Rule::pattern => "a pattern: a value or `_`",
        Rule::wildcard => "`_`",
    }
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_le
            | Rule::op_ge
            | Rule::op_lt
            | Rule::op_gt
            | Rule::op_coalesce
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::in_list
            | Rule::op_in
            | Rule::kw_and
            | Rule::kw_or
            | Rule::infix
            | Rule::postfix
    )
}

fn is_declaration(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::input_block
            | Rule::key_decl
            | Rule::let_decl
            | Rule::score_decl
            | Rule::rule_decl
            | Rule::label_block
            | Rule::output_decl
            | Rule::metric_decl
            | Rule::policy_decl
            | Rule::waiver_decl
            | Rule::test_decl
            | Rule::kw_input
            | Rule::kw_key
            | Rule::kw_let
            | Rule::kw_score
            | Rule::kw_rule
            | Rule::kw_output
            | Rule::kw_metric
            | Rule::kw_policy
            | Rule::kw_waiver
            | Rule::kw_test
    )
}

fn is_expression_start(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr
            | Rule::op_expr
            | Rule::if_expr
            | Rule::paren
            | Rule::match_expr
            | Rule::call
            | Rule::number
            | Rule::date
            | Rule::string
            | Rule::boolean
            | Rule::label_ref
            | Rule::name
            | Rule::list
            | Rule::op_not
            | Rule::op_neg
            | Rule::kw_if
            | Rule::kw_match
            | Rule::kw_label
            | Rule::kw_true
            | Rule::kw_false
            | Rule::kw_not
            | Rule::ident
            | Rule::primary
            | Rule::prefix
    )
}

/// Describes a set of expected rules as one phrase: "an expression such as
/// `hours > 10`", "`then`", "an operator or `}`".
pub fn describe_expected(positives: &[Rule]) -> String {
    let mut parts: Vec<&'static str> = Vec::new();
    let mut push = |s: &'static str| {
        if !parts.contains(&s) {
            parts.push(s);
        }
    };
    let operators = positives.iter().any(|r| is_operator(*r));
    let declarations = positives.iter().any(|r| is_declaration(*r));
    let expression = positives.iter().any(|r| is_expression_start(*r));
    if expression {
        push("an expression such as `hours > 10`");
    }
    if declarations {
        push("a declaration such as `rule`, `let` or `score`");
    }
    for rule in positives {
        if (operators && is_operator(*rule))
            || (declarations && is_declaration(*rule))
            || (expression && is_expression_start(*rule))
        {
            continue;
        }
        push(human_name(*rule));
    }
    if operators {
        push("an operator");
    }
    match parts.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
