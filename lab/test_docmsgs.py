"""Unit tests of lab/docmsgs.py: message formats read from C, and found (or
not) in a page that writes them with <placeholders>.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import unittest

from lab import docmsgs

SRC = r'''
/**
 * rmem_heap_bad() - dev_err_probe() does it; not a call: dev_err(x, "no")
 */
int rmem_heap_bad(const struct device *dev, int err, const char *fmt, ...)
{
	err = dev_err_probe(dev, err, "%pOF: %pV\n", dev->of_node, &vaf);
}

static int f(struct device *dev)
{
	// dev_warn(dev, "in a comment\n");
	if (a)
		return rmem_heap_bad(dev, -EINVAL,
				     "region %s is not page aligned", name);
	rmem_heap_bad(dev, ret, "region %s was not set up%s", name,
		      cma ? " (is it CMA aligned?)" : "");
	dev_warn_ratelimited(dev,
			     "rmem_heap: heap %s: buffer %#llx+%zu beyond reach "
			     "(mask %#llx)\n", h->name, addr, size, mask);
	pr_err("put [%#llx, %#llx) overlaps, ignored (%d%%)\n", a, b, c);
	WARN(rule, "cache model: %s: page %lu (%pa)\n", f(x, y), n, &p);
	dev_info(dev, "%s", "");
}
'''


class MessagesTest(unittest.TestCase):
    def test_formats(self):
        msgs = docmsgs.messages_in(SRC, "x.c")
        fmts = [(m.func, m.fmt) for m in msgs if m.kind == "format"]
        self.assertEqual(fmts, [
            ("dev_err_probe", "%pOF: %pV"),
            ("rmem_heap_bad", "region %s is not page aligned"),
            ("rmem_heap_bad", "region %s was not set up%s"),
            ("dev_warn_ratelimited",
             "rmem_heap: heap %s: buffer %#llx+%zu beyond reach (mask %#llx)"),
            ("pr_err", "put [%#llx, %#llx) overlaps, ignored (%d%%)"),
            ("WARN", "cache model: %s: page %lu (%pa)"),
            ("dev_info", "%s"),
        ])
        args = [m.fmt for m in msgs if m.kind == "argument"]
        self.assertEqual(args, [" (is it CMA aligned?)"])

    def test_line_numbers_survive_comments(self):
        msgs = docmsgs.messages_in(SRC, "x.c")
        aligned = [m for m in msgs if "page aligned" in m.fmt][0]
        self.assertEqual(SRC.splitlines()[aligned.line - 1].strip(),
                         "return rmem_heap_bad(dev, -EINVAL,")


class PatternTest(unittest.TestCase):
    def found(self, fmt, text):
        return bool(docmsgs.pattern(fmt).search(text))

    def test_placeholders(self):
        self.assertTrue(self.found("region %s is not page aligned",
                                   "``region <region> is not page aligned``"))
        self.assertFalse(self.found("region %s is not page aligned",
                                    "region video is not page aligned"))

    def test_optional_string(self):
        fmt = 'cannot register heap "%s" (%d)%s'
        self.assertTrue(self.found(fmt, 'cannot register heap "<name>" (<err>)'))
        self.assertTrue(self.found(fmt, 'cannot register heap "<name>" (<err>)<why>'))
        self.assertFalse(self.found(fmt, 'cannot register heap "<name>" (-22)'))

    def test_wrapped_and_percent(self):
        self.assertTrue(self.found("put [%#llx, %#llx) overlaps, ignored (%d%%)",
                                   "put [<a>,\n   <b>) overlaps, ignored (<n>%)"))

    def test_missing(self):
        msgs = docmsgs.messages_in(SRC, "x.c")
        page = """
``<node>: <reason>``
``region <region> is not page aligned``
``region <region> was not set up``, then `` (is it CMA aligned?)``
``cache model: <rule>: page <n> (<phys>)``
``<line>``
"""
        left = [m.fmt for m in docmsgs.missing(msgs, page)]
        self.assertEqual(left, [
            "rmem_heap: heap %s: buffer %#llx+%zu beyond reach (mask %#llx)",
            "put [%#llx, %#llx) overlaps, ignored (%d%%)"])


if __name__ == "__main__":
    unittest.main()
