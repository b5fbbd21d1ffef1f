"""Unit tests of lab/bench.py's choice of boots over a canned
rmem_heap_bench output: odd boots against even boots, and when to stop.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import unittest

from lab import bench, benchreport, testdata

LOG = "bench-7.3-virt-rounds.log"
PAIRED_4K = "ratio_median=0.147 ratio_min=0.054"


def run(paired_4k="0.147"):
    """One run's figures, the 4 KiB paired ratio set to paired_4k."""
    return benchreport.parse(testdata.read_log(LOG).replace(
        PAIRED_4K, "ratio_median=%s ratio_min=0.054" % paired_4k))


def boot(paired_4k="0.147"):
    """One boot of one whole run (bench.bench_boot()'s answer)."""
    return [run(paired_4k)]


class HalvesTest(unittest.TestCase):
    def test_too_few_boots_no_halves(self):
        self.assertEqual(bench.halves([boot()] * 3), [])
        self.assertEqual(bench.halves_text([], 3), "")

    def test_same_boots_agree(self):
        rows = bench.halves([boot()] * 4)
        self.assertTrue(rows)
        self.assertTrue(all(r[3] for r in rows))
        self.assertIn("%d of %d ratios within 10%%" % (len(rows), len(rows)),
                      bench.halves_text(rows, 4))

    def test_odd_and_even_split(self):
        # boots 1 and 3 at 0.10, 2 and 4 at 0.20: the halves 0.10 and 0.20
        rows = bench.halves([boot(v) for v in ("0.10", "0.20", "0.10", "0.20")])
        bad = [r for r in rows if not r[3]]
        self.assertEqual([r[0] for r in bad], ["paired frames reserved 4096 ratio_median"])
        self.assertAlmostEqual(bad[0][1], 0.10)
        self.assertAlmostEqual(bad[0][2], 0.20)
        text = bench.halves_text(rows, 4)
        self.assertIn("medians over the runs of 2 and of 2 boots", text)
        self.assertIn("Not within: paired frames reserved 4096 ratio_median 0.1 and 0.2.",
                      text)

    def test_five_boots_three_and_two(self):
        self.assertIn("medians over the runs of 3 and of 2 boots",
                      bench.halves_text(bench.halves([boot()] * 5), 5))


class NeedMoreTest(unittest.TestCase):
    def more(self, boots, least, most):
        return bench.need_more(len(boots), bench.halves(boots), least, most)

    def test_at_least(self):
        self.assertTrue(self.more([boot()] * 3, 4, 8))
        self.assertTrue(self.more([], 1, 1))

    def test_agreeing_halves_stop(self):
        self.assertFalse(self.more([boot()] * 4, 4, 8))

    def test_disagreeing_halves_go_on_up_to_most(self):
        split = [boot(v) for v in ("0.10", "0.20", "0.10", "0.20")]
        self.assertTrue(self.more(split, 4, 8))
        self.assertFalse(self.more(split * 2, 4, 8))

    def test_below_four_boots_with_room_goes_on(self):
        # two boots agree on everything, yet two are no halves to judge
        self.assertTrue(self.more([boot()] * 2, 1, 8))
        self.assertFalse(self.more([boot()] * 2, 1, 2))


QUIET_A = ("BENCH quiet rounds=15 again=3 again_ms=1200 kept_slow=0 calib_ns=27400\n"
           "BENCH quiet rounds=21 again=0 again_ms=0 kept_slow=2 calib_ns=27300\n")
QUIET_B = "BENCH quiet rounds=9 again=40 again_ms=20100 kept_slow=1 calib_ns=26900\n"


class HostSpeedTest(unittest.TestCase):
    """The host-speed loop's best time, passed on to later boots."""

    def test_no_boot_no_hint(self):
        self.assertEqual(bench.host_best([]), 0)
        self.assertEqual(bench.host_best(boot()), 0)
        self.assertNotIn(" -c", bench.bench_command("virt", 0))

    def test_fastest_of_all_boots(self):
        boots = [benchreport.parse(QUIET_A), benchreport.parse(QUIET_B)]
        self.assertEqual(bench.host_best(boots), 26900)
        for line in bench.bench_command("virt", 26900).splitlines():
            self.assertIn(" -c 26900", line)
        self.assertEqual(bench.bench_command("virt-scale", 26900),
                         "rmem_heap_bench -s -c 26900\n")

    def test_quiet_text_sums_the_sections(self):
        text = bench.quiet_text([benchreport.parse(QUIET_A), benchreport.parse(QUIET_B)])
        self.assertIn("43 run again (21 s), 3 of 45 kept", text)
        self.assertEqual(bench.quiet_text(boot()), "")



class AddedBootsTest(unittest.TestCase):
    """Boots after the first --boots run only the sections that differ."""

    def test_sections_of_disagreeing_rows(self):
        rows = [("paired frames reserved 4096 ratio_median", 0.1, 0.2, False),
                ("import video-uncached 8388608 rel_system", 0.003, 0.004, False),
                ("alloc rmem paced 65536 rel_system", 1.0, 1.2, False),
                ("user rmem touch32M rel_system", 0.05, 0.05, True)]
        self.assertEqual(bench.sections_of(rows), ["alloc", "import"])
        self.assertEqual(bench.sections_of(rows[3:]), [])

    def test_command_of_an_added_boot(self):
        cmd = bench.bench_command("virt", 27000, ["alloc", "import"], 3)
        self.assertEqual(cmd.splitlines(),
                         ["rmem_heap_bench -q -o alloc,import -c 27000 > /dev/null || exit $?"]
                         + ["rmem_heap_bench -q -o alloc,import -c 27000 || exit $?"] * 3)
        self.assertEqual(bench.runs_in(cmd), 3)

    def test_after_probe_only_in_the_first_run(self):
        cmd = bench.bench_command("virt-scale", 0, ["probe", "scale"], 2)
        self.assertEqual(cmd.splitlines(), ["rmem_heap_bench -q -o probe || exit $?",
                                            "rmem_heap_bench -q -o scale > /dev/null || exit $?",
                                            "rmem_heap_bench -q -o scale || exit $?",
                                            "rmem_heap_bench -q -o scale || exit $?"])
        self.assertEqual(bench.runs_in(cmd), 3)
        self.assertEqual(bench.runs_in(bench.bench_command("virt", 0, ["probe"], 2)), 1)

    def test_whole_run_warms_up_after_probe(self):
        # the first run after boot is slower: it is dropped, as in added boots
        cmd = bench.bench_command("zcu102", 0)
        self.assertEqual(cmd.splitlines(), [
            "rmem_heap_bench -o probe || exit $?",
            "rmem_heap_bench -q -o alloc,bw,user,import,scale > /dev/null || exit $?",
            "rmem_heap_bench -o alloc,bw,user,import,scale || exit $?"])
        self.assertEqual(bench.runs_in(cmd), 2)

    def test_probe_run_joins_the_next(self):
        probe = {"probe": [{"heap": "rmem", "first_ns": 1}]}
        rest = {k: v for k, v in benchreport.parse(testdata.read_log(LOG)).items()
                if k != "probe"}
        joined = bench.join_probe([probe, rest])
        self.assertEqual(len(joined), 1)
        self.assertEqual(joined[0]["probe"][0]["first_ns"], 1)
        self.assertEqual(joined[0]["alloc"], rest["alloc"])
        # quick runs after it stay runs of their own
        self.assertEqual(len(bench.join_probe([probe, rest, rest, rest])), 3)
        self.assertEqual(bench.join_probe([rest, rest]), [rest, rest])

    def test_split_runs_drops_an_unfinished_one(self):
        text = testdata.read_log(LOG)
        self.assertIn(bench.DONE, text)
        runs = bench.split_runs(text + text + "BENCH import heap=rmem size=4096\n")
        self.assertEqual(len(runs), 2)
        self.assertEqual(runs[0], runs[1])
        self.assertEqual(runs[0], benchreport.parse(text))

    def test_runs_of_a_boot_stay_in_one_half(self):
        # boots 1 and 3: one run at 0.10; boots 2 and 4: three runs at 0.20
        boots = [[run("0.10")], [run("0.20")] * 3] * 2
        rows = {r[0]: r for r in bench.halves(boots)}
        name = "paired frames reserved 4096 ratio_median"
        self.assertAlmostEqual(rows[name][1], 0.10)
        self.assertAlmostEqual(rows[name][2], 0.20)
        self.assertEqual(benchreport.merge(bench.flat(boots))["paired"][0]["merged"], 8)


if __name__ == "__main__":
    unittest.main()
