"""The broken-bindings table against the machines' overlays."""

import unittest

from . import broken, machine


class BrokenTableTest(unittest.TestCase):
    def test_every_case_has_one_line_for_each_kernel(self):
        rows = broken.load()
        names = {r.name for r in rows}
        for k in ("6.1", "6.12", "7.3", "debian", "intree"):
            self.assertEqual(sorted(names), sorted(c.name for c in broken.for_kernel(k, rows)))

    def test_first_matching_line_wins(self):
        rows = [broken.Case("a", "7.*", "n", "fail", "x"), broken.Case("a", "*", "n", "probe", "h")]
        self.assertEqual("fail", broken.for_kernel("7.3", rows)[0].kind)
        self.assertEqual("probe", broken.for_kernel("6.1", rows)[0].kind)

    def test_every_broken_node_is_in_the_table_and_back(self):
        nodes = {r.node for r in broken.load()}
        machs = [machine.Machine(n) for n in machine.names()]
        with_broken = [m for m in machs if m.broken_overlay]
        self.assertTrue(with_broken)
        for m in with_broken:
            ours = set()
            for ov in m.overlays + [m.broken_overlay]:
                ours |= {n for n in broken.overlay_nodes(ov) if "-bad-" in n or "-bb-" in n}
            self.assertEqual(sorted(nodes), sorted(ours), m.name)


if __name__ == "__main__":
    unittest.main()
