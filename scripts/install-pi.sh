#!/usr/bin/env bash
# Installs hashaxe on Raspberry Pi OS as a systemd service running under its own user, with access to the
# ASIC UART, I2C and GPIO, and turns on the UART and I2C interfaces.
#
#   sudo scripts/install-pi.sh [--board NAME] [--dry-run] [options]
#
# Run it from a built checkout (npm ci && npm run build) or an unpacked package: it copies this package to
# --prefix, installs its production dependencies there, and writes the service. --dry-run prints every
# action and changes nothing (no root needed). Safe to run again: existing config is kept.
set -euo pipefail

PROG=install-pi.sh
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DRY_RUN=0
BOARD=bitaxe-ultra
SERVICE_USER=hashaxe
PREFIX=/opt/hashaxe
CONFIG=/etc/hashaxe/hashaxe.json
ENABLE_SERVICE=1
SETUP_INTERFACES=1
ROOT=""

usage() {
  cat <<EOF
Usage: sudo $PROG [options]

Installs hashaxe as a systemd service (hashaxe.service) under its own user, with the udev rule and group
memberships for the UART, I2C and GPIO, and enables UART and I2C (raspi-config / config.txt).

Options:
  --board NAME       board definition for a new config (default $BOARD; see boards/)
  --user NAME        service user (default $SERVICE_USER)
  --prefix DIR       install directory (default $PREFIX)
  --config FILE      daemon config (default $CONFIG; kept if it exists)
  --no-enable        install the service but do not enable or start it
  --no-interfaces    leave UART / I2C / config.txt alone
  --dry-run          print what would be done, change nothing
  -h, --help         this text

Exit codes: 0 done, 1 a step failed, 2 bad usage.
EOF
}

die() {
  echo "$PROG: $*" >&2
  exit 1
}

usage_error() {
  echo "$PROG: $*" >&2
  exit 2
}

while (($# > 0)); do
  case "$1" in
  --board)
    [[ $# -ge 2 ]] || usage_error "--board needs a value"
    BOARD="$2"
    shift 2
    ;;
  --user)
    [[ $# -ge 2 ]] || usage_error "--user needs a value"
    SERVICE_USER="$2"
    shift 2
    ;;
  --prefix)
    [[ $# -ge 2 ]] || usage_error "--prefix needs a value"
    PREFIX="$2"
    shift 2
    ;;
  --config)
    [[ $# -ge 2 ]] || usage_error "--config needs a value"
    CONFIG="$2"
    shift 2
    ;;
  --root)
    # For tests: treat DIR as / when looking at the system (os-release, config.txt, existing files).
    [[ $# -ge 2 ]] || usage_error "--root needs a value"
    ROOT="$2"
    shift 2
    ;;
  --no-enable)
    ENABLE_SERVICE=0
    shift
    ;;
  --no-interfaces)
    SETUP_INTERFACES=0
    shift
    ;;
  --dry-run)
    DRY_RUN=1
    shift
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    usage_error "unknown option $1 (see --help)"
    ;;
  esac
done

[[ "$BOARD" =~ ^[a-z0-9][a-z0-9-]*$ ]] || usage_error "--board must be a board name like bitaxe-ultra, got '$BOARD'"
[[ "$SERVICE_USER" =~ ^[a-z_][a-z0-9_-]*$ ]] || usage_error "--user must be a user name, got '$SERVICE_USER'"
[[ "$PREFIX" == /* ]] || usage_error "--prefix must be an absolute path, got '$PREFIX'"
[[ "$CONFIG" == /* ]] || usage_error "--config must be an absolute path, got '$CONFIG'"
[[ -f "$SRC_DIR/boards/$BOARD.json" ]] || usage_error "unknown board '$BOARD' (see $SRC_DIR/boards/)"
[[ -z "$ROOT" ]] || ((DRY_RUN)) || usage_error "--root is for --dry-run only"

# Every change goes through these, so --dry-run is exactly the list of changes.
run() {
  if ((DRY_RUN)); then
    printf 'would run: %s\n' "$*"
  else
    "$@"
  fi
}

# For steps whose target may not exist on this system (a unit that is not installed): a failure is reported,
# not fatal.
run_tolerant() {
  if ((DRY_RUN)); then
    printf 'would run: %s\n' "$*"
  elif ! "$@"; then
    say "note: '$*' failed; continuing (nothing to change there)"
  fi
}

# write_file PATH MODE: content on stdin.
write_file() {
  local path="$1" mode="$2" content
  content="$(cat)"
  if ((DRY_RUN)); then
    printf 'would write %s (mode %s):\n' "$path" "$mode"
    printf '%s\n' "$content" | sed 's/^/    | /'
  else
    install -d -m 0755 "$(dirname "$path")"
    printf '%s\n' "$content" >"$path"
    chmod "$mode" "$path"
  fi
}

say() {
  printf '%s: %s\n' "$PROG" "$*"
}

sys() {
  printf '%s%s' "$ROOT" "$1"
}

# --- preflight -------------------------------------------------------------------------------------------

if ((!DRY_RUN)) && [[ "$(id -u)" -ne 0 ]]; then
  die "run as root (sudo $PROG ...), or with --dry-run to see what it would do"
fi
if [[ -r "$(sys /etc/os-release)" ]] && grep -qiE '^ID(_LIKE)?=.*(debian|raspbian)' "$(sys /etc/os-release)"; then
  :
else
  say "warning: this does not look like Raspberry Pi OS / Debian; continuing"
fi
if [[ ! -f "$SRC_DIR/dist/firmware/cli.js" ]]; then
  if ((DRY_RUN)); then
    say "warning: $SRC_DIR/dist/firmware/cli.js is missing; build first (npm ci && npm run build)"
  else
    die "$SRC_DIR/dist/firmware/cli.js is missing; build first (npm ci && npm run build)"
  fi
fi
NODE_BIN="$(command -v node || true)"
if [[ -z "$NODE_BIN" ]]; then
  if ((DRY_RUN)); then
    NODE_BIN=/usr/bin/node
    say "warning: node not found; install Node.js >= 20.19 (e.g. from NodeSource) before running for real"
  else
    die "node not found; install Node.js >= 20.19 first"
  fi
fi

# --- packages --------------------------------------------------------------------------------------------

say "packages: gpiod (gpioset drives reset / power-enable), i2c-tools (i2cdetect), build tools (the native i2c-bus module)"
run apt-get update
run apt-get install -y --no-install-recommends gpiod i2c-tools build-essential python3

# --- user and groups ------------------------------------------------------------------------------------

for group in dialout i2c gpio; do
  if ! getent group "$group" >/dev/null 2>&1 || [[ -n "$ROOT" ]]; then
    run groupadd --system -f "$group"
  fi
done
if id "$SERVICE_USER" >/dev/null 2>&1 && [[ -z "$ROOT" ]]; then
  say "user $SERVICE_USER exists"
else
  run useradd --system --home-dir /var/lib/hashaxe --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
say "groups: $SERVICE_USER joins dialout (UART), i2c (/dev/i2c-*), gpio (/dev/gpiochip*, sysfs gpio, pwm)"
run usermod -a -G dialout,i2c,gpio "$SERVICE_USER"

# --- udev ------------------------------------------------------------------------------------------------

# Raspberry Pi OS ships most of this in 99-com.rules; this file makes the service work on plain Debian too.
write_file /etc/udev/rules.d/60-hashaxe.rules 0644 <<'EOF'
# hashaxe: the service user reaches the ASIC UART, I2C and GPIO through these groups.
KERNEL=="ttyAMA[0-9]*|ttyS[0-9]*", GROUP="dialout", MODE="0660"
SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
SUBSYSTEM=="gpio", ACTION=="add", PROGRAM="/bin/sh -c 'chgrp -R gpio /sys/class/gpio && chmod -R g=u /sys/class/gpio'"
SUBSYSTEM=="pwm*", ACTION=="add", PROGRAM="/bin/sh -c 'chgrp -R gpio /sys/class/pwm && chmod -R g=u /sys/class/pwm'"
EOF
run udevadm control --reload-rules
run udevadm trigger

# --- UART and I2C ----------------------------------------------------------------------------------------

if ((SETUP_INTERFACES)); then
  CONFIG_TXT=""
  for candidate in /boot/firmware/config.txt /boot/config.txt; do
    if [[ -f "$(sys "$candidate")" ]]; then
      CONFIG_TXT="$candidate"
      break
    fi
  done
  if command -v raspi-config >/dev/null 2>&1 && [[ -z "$ROOT" ]]; then
    say "raspi-config: I2C on; serial port hardware on, login console on it off"
    run raspi-config nonint do_i2c 0
    run raspi-config nonint do_serial_hw 0
    run raspi-config nonint do_serial_cons 1
  elif [[ -n "$CONFIG_TXT" ]]; then
    say "raspi-config not found: doing the same by hand (config.txt lines below, serial console off in cmdline.txt)"
    # The kernel console on the ASIC UART would send boot messages to the chips.
    CMDLINE_TXT="$(dirname "$CONFIG_TXT")/cmdline.txt"
    CONSOLE_RE='console=(serial0|ttyAMA0|ttyS0),[0-9]+'
    if [[ -f "$(sys "$CMDLINE_TXT")" ]] && grep -qE "$CONSOLE_RE" "$(sys "$CMDLINE_TXT")"; then
      if ((DRY_RUN)); then
        printf 'would remove from %s: %s\n' "$CMDLINE_TXT" "$(grep -oE "$CONSOLE_RE" "$(sys "$CMDLINE_TXT")" | xargs)"
      else
        sed -i -E "s/ ?$CONSOLE_RE//g; s/^ //" "$CMDLINE_TXT"
      fi
    fi
  fi
  if [[ -n "$CONFIG_TXT" ]]; then
    # disable-bt: the full PL011 UART (/dev/ttyAMA0 as /dev/serial0) instead of the mini UART, whose clock
    # follows the core and cannot hold 1-3 Mbaud; i2c 400 kHz as on Bitaxes; pwm for a PiAxe's fan.
    for line in enable_uart=1 dtparam=i2c_arm=on dtparam=i2c_arm_baudrate=400000 dtoverlay=disable-bt; do
      if grep -qxF "$line" "$(sys "$CONFIG_TXT")"; then
        say "$CONFIG_TXT already has $line"
      elif ((DRY_RUN)); then
        printf 'would append to %s: %s\n' "$CONFIG_TXT" "$line"
      else
        printf '%s\n' "$line" >>"$CONFIG_TXT"
      fi
    done
    if [[ "$BOARD" == piaxe ]] && ! grep -qxF 'dtoverlay=pwm' "$(sys "$CONFIG_TXT")"; then
      if ((DRY_RUN)); then
        printf 'would append to %s: %s\n' "$CONFIG_TXT" 'dtoverlay=pwm'
      else
        printf '%s\n' 'dtoverlay=pwm' >>"$CONFIG_TXT"
      fi
    fi
    # Only Pis with Bluetooth have it; disable-bt above frees the UART it used.
    run_tolerant systemctl disable --now hciuart.service
    say "reboot after the first install so the UART / I2C changes take effect"
  else
    say "no config.txt at /boot/firmware/config.txt or /boot/config.txt (not a Raspberry Pi?): skipping UART/I2C setup"
  fi
  # Serial console on the ASIC UART would send login prompts to the chips.
  run_tolerant systemctl disable --now serial-getty@ttyAMA0.service serial-getty@ttyS0.service
fi

# --- the package -----------------------------------------------------------------------------------------

say "installing $SRC_DIR to $PREFIX"
run install -d -m 0755 "$PREFIX" "$PREFIX/scripts"
for item in package.json package-lock.json dist boards scripts/install-pi.sh; do
  if [[ -e "$SRC_DIR/$item" ]] || ((DRY_RUN)); then
    run cp -a "$SRC_DIR/$item" "$PREFIX/$(dirname "$item")/"
  fi
done
run npm --prefix "$PREFIX" ci --omit=dev
run ln -sf "$PREFIX/dist/firmware/cli.js" /usr/local/bin/hashaxe
run chmod 0755 "$PREFIX/dist/firmware/cli.js"

# --- config ----------------------------------------------------------------------------------------------

if [[ -e "$(sys "$CONFIG")" ]]; then
  say "keeping the existing $CONFIG"
else
  write_file "$CONFIG" 0640 <<EOF
{
  "board": "$BOARD",
  "port": "board"
}
EOF
  run chgrp "$SERVICE_USER" "$CONFIG"
fi
run install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" /var/lib/hashaxe

# --- systemd ---------------------------------------------------------------------------------------------

write_file /etc/systemd/system/hashaxe.service 0644 <<EOF
[Unit]
Description=hashaxe miner (board control, ASIC chain, Stratum V2)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$SERVICE_USER
Group=$SERVICE_USER
SupplementaryGroups=dialout i2c gpio
ExecStart=$NODE_BIN $PREFIX/dist/firmware/cli.js mine --config $CONFIG --state /var/lib/hashaxe/state.json
Restart=on-failure
RestartSec=5
# SIGTERM powers the chips down gracefully (frequency down, reset held, core off) before exiting.
KillSignal=SIGTERM
TimeoutStopSec=30
StateDirectory=hashaxe
WorkingDirectory=/var/lib/hashaxe
# Binding a port below 1024 (api.port 80, which AxeOS swarm pages and pyasic assume) and nothing else.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
Environment=NODE_ENV=production

[Install]
WantedBy=multi-user.target
EOF
run systemctl daemon-reload
if ((ENABLE_SERVICE)); then
  run systemctl enable --now hashaxe.service
  say "started: journalctl -u hashaxe -f to watch, hashaxe status to check"
else
  say "installed but not enabled: systemctl enable --now hashaxe to start"
fi
say "next: put your pool in $CONFIG, e.g. \"pools\": [{\"url\": \"sv2+tcp://HOST:PORT/AUTHORITY_KEY\", \"user\": \"WORKER\"}]; without one hashaxe mines on its local test pool (nothing is paid)"
if ((DRY_RUN)); then
  say "dry run: nothing was changed"
fi
