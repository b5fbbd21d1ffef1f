# rmem-heap's device-tree example as the project's system-user.dtsi, the
# PetaLinux way (project-spec/meta-user/recipes-bsp/device-tree/).  The
# files/<override>/ directories pick the example by SoC family: zynqmp
# (ZCU102: dts/examples/zcu102-system-user.dtsi) and zynq (ZC702:
# dts/examples/zc702-system-user.dtsi).  Both include system-conf.dtsi as
# PetaLinux's own system-user.dtsi does.  A project that has its own
# system-user.dtsi merges the reserved-memory and rmem-heap nodes into it
# instead and leaves this bbappend out of its layers (BBMASK).
FILESEXTRAPATHS:prepend := "${THISDIR}/files:"

SRC_URI:append = " file://system-user.dtsi"
