//! Attaching comments: each comment goes above the next line of its block,
//! at the end of the line its code is on, after an opening bracket, before a
//! closing one, or above the line of the expression it is in; and the
//! comments of a line are taken back when the line is printed.

use super::anchors::{Anchor, K, ROOT};
use super::doc::{Doc, cat, hard, suffixes};
use super::{Comment, Fmt};

/// The comments attached to one anchor.
#[derive(Debug, Default)]
pub(super) struct Slots {
    /// Comments above the anchor, with whether a blank line precedes each.
    pub(super) leading: Vec<(String, bool)>,
    /// Comments from inside the anchor that have no line of their own.
    pub(super) hoisted: Vec<String>,
    pub(super) trailing: Vec<String>,
    pub(super) open: Vec<String>,
    /// Comments before the closing bracket, with whether a blank line
    /// precedes each.
    pub(super) dangling: Vec<(String, bool)>,
    /// Where the first of them was, to keep a stray one in order.
    pub(super) first: usize,
}

pub(super) enum Slot {
    Leading(usize),
    Hoisted(usize),
    Trailing(usize),
    Open(usize),
    Dangling(usize),
}

/// The comments around one line: above it, then the line, then at its end.
pub(super) struct Around {
    /// Comments above the line, each with whether a blank line precedes it.
    pub(super) above: Vec<(String, bool)>,
    /// Whether a blank line precedes the line itself (after its comments).
    pub(super) blank: bool,
    pub(super) trailing: Vec<String>,
}

impl Around {
    /// Whether a blank line precedes the first thing printed: a comment
    /// above the line, or the line.
    pub(super) fn first_blank(&self) -> bool {
        self.above.first().map_or(self.blank, |c| c.1)
    }

    /// The line's document with its comments.
    pub(super) fn wrap(self, body: Doc) -> Doc {
        let mut out = Vec::new();
        let has_above = !self.above.is_empty();
        for (i, (c, blank)) in self.above.into_iter().enumerate() {
            if i > 0 {
                out.push(hard(blank));
            }
            out.push(Doc::Comment(c));
        }
        if has_above {
            out.push(hard(self.blank));
        }
        out.push(body);
        out.push(suffixes(self.trailing));
        cat(out)
    }
}

impl<'a> Fmt<'a> {
    /// The anchors holding the token or comment at `pos`, outermost first.
    fn path(&self, pos: usize) -> Vec<usize> {
        let mut out = vec![ROOT];
        let mut n = ROOT;
        while let Some(children) = self.children.get(n) {
            let i =
                children.partition_point(|&c| self.anchors.get(c).is_some_and(|a| a.start <= pos));
            let next = i.checked_sub(1).and_then(|i| children.get(i)).copied();
            match next.and_then(|c| self.anchors.get(c).map(|a| (c, a))) {
                Some((c, a)) if pos < a.end => {
                    out.push(c);
                    n = c;
                }
                _ => break,
            }
        }
        out
    }

    fn anchor(&self, i: usize) -> Option<&Anchor> {
        self.anchors.get(i)
    }

    /// The nearest line that holds anchor `n`.
    fn line_of(&self, mut n: usize) -> Option<usize> {
        loop {
            let a = self.anchor(n)?;
            if a.k.is_line() {
                return Some(n);
            }
            if n == ROOT {
                return None;
            }
            n = a.parent;
        }
    }

    fn hoist(&self, n: usize) -> Slot {
        self.line_of(n).map_or(Slot::Dangling(ROOT), Slot::Hoisted)
    }

    /// Where a comment on a line of its own goes: above the next line of its
    /// block, before the block's closing bracket, or above the line that
    /// holds it.
    fn place_own_line(&self, c: &Comment) -> Slot {
        let n = self.path(c.start).last().copied().unwrap_or(ROOT);
        let Some(a) = self.anchor(n) else {
            return Slot::Dangling(ROOT);
        };
        if a.open.is_some_and(|o| c.start < o.start) {
            return self.hoist(n);
        }
        let children = self.children.get(n).map_or(&[][..], Vec::as_slice);
        let i = children.partition_point(|&ch| self.anchor(ch).is_some_and(|x| x.start < c.end));
        let next = children
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .copied()
            .find(|&ch| self.anchor(ch).is_some_and(|x| x.k.is_line()));
        match next {
            Some(ch) => Slot::Leading(ch),
            None if a.close.is_some() => Slot::Dangling(n),
            None => self.hoist(n),
        }
    }

    fn place(&self, c: &Comment) -> Slot {
        let prev_real = self.tok_before(c.start);
        let own_line = prev_real.is_none_or(|t| self.slice(t.end, c.start).contains('\n'));
        if own_line {
            return self.place_own_line(c);
        }
        // After code on the same line: at the end of the line the code
        // before it ends, or after an opening bracket.
        let mut prev = prev_real;
        while let Some(t) = prev
            && matches!(self.tok_text(t), "," | ";")
        {
            prev = self.tok_before(t.start);
        }
        if let Some(p) = prev {
            let ends_here = self.path(p.start).into_iter().rev().find(|&i| {
                self.anchor(i)
                    .is_some_and(|a| a.k.is_line() && a.end == p.end)
            });
            if let Some(i) = ends_here {
                return Slot::Trailing(i);
            }
        }
        if let Some(p) = prev_real {
            let opens_here = self.path(p.start).into_iter().rev().find(|&i| {
                self.anchor(i)
                    .is_some_and(|a| a.open.is_some_and(|o| o.end == p.end))
            });
            if let Some(i) = opens_here {
                return Slot::Open(i);
            }
        }
        let n = self.path(c.start).last().copied().unwrap_or(ROOT);
        self.hoist(n)
    }

    pub(super) fn assign(&mut self, comments: &[Comment]) {
        for c in comments {
            let mut slot = self.place(c);
            // A line has room for one comment at its end; another one after
            // the same code (`x  # a` then `,  # b`) goes on a line of its own.
            if let Slot::Trailing(i) = slot
                && let Some(a) = self.anchor(i)
                && self
                    .slots
                    .get(&(a.k, a.start))
                    .is_some_and(|s| !s.trailing.is_empty())
            {
                slot = self.place_own_line(c);
            }
            let id = match slot {
                Slot::Leading(i)
                | Slot::Hoisted(i)
                | Slot::Trailing(i)
                | Slot::Open(i)
                | Slot::Dangling(i) => i,
            };
            let Some(a) = self.anchor(id) else { continue };
            let key = (a.k, a.start);
            let blank = self.blank_before(c.start);
            let slots = self.slots.entry(key).or_insert_with(|| Slots {
                first: c.start,
                ..Slots::default()
            });
            let text = c.text.clone();
            match slot {
                Slot::Leading(_) => slots.leading.push((text, blank)),
                Slot::Hoisted(_) => slots.hoisted.push(text),
                Slot::Trailing(_) => slots.trailing.push(text),
                Slot::Open(_) => slots.open.push(text),
                Slot::Dangling(_) => slots.dangling.push((text, blank)),
            }
        }
    }

    pub(super) fn take(&mut self, k: K, start: usize) -> Slots {
        if self.quiet {
            return Slots::default();
        }
        self.slots.remove(&(k, start)).unwrap_or_default()
    }

    /// The comments of the line starting at `start`.
    pub(super) fn around(&mut self, k: K, start: usize) -> Around {
        let slots = self.take(k, start);
        let blank = self.blank_before(start);
        let mut above = slots.leading;
        let hoisted_first = above.len();
        above.extend(slots.hoisted.into_iter().map(|c| (c, false)));
        let body_blank = if let Some(first) = above.get_mut(hoisted_first) {
            // Hoisted comments come from inside the line: the blank line
            // before the line now precedes them.
            first.1 = blank;
            false
        } else {
            blank
        };
        Around {
            above,
            blank: body_blank,
            trailing: slots.trailing,
        }
    }
}
