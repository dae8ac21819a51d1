#!/usr/bin/env bash
# Regenerate the committed voice-note fixtures in tests/fixtures/voice/.
#
# Each note is spoken by espeak-ng and encoded the way WhatsApp sends voice
# notes (OGG/Opus, mono), at a low bitrate so the files stay a few KB.
# Needs: espeak-ng, ffmpeg (with libopus). Run from anywhere:
#     scripts/make_voice_fixtures.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/tests/fixtures/voice"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# bitexact: same input -> same bytes, so regenerating does not churn git.
opus=(-hide_banner -loglevel error -y -fflags +bitexact -flags:a +bitexact
      -ac 1 -ar 48000 -c:a libopus -b:a 16k -application voip)

say() {  # say NAME "TEXT" ["AS SPOKEN"]: espeak reads "UPI" as a word, people spell it
    local name="$1" text="$2" spoken="${3:-$2}"
    espeak-ng -v en-us -s 150 -w "$tmp/$name.wav" "$spoken"
    ffmpeg -i "$tmp/$name.wav" "${opus[@]}" "$out/$name.ogg"
    printf '  "%s.ogg": "%s",\n' "$name" "$text" >>"$tmp/index"
}

: >"$tmp/index"
say bill_mahesh "Bill Mahesh Gupta for eight bags of cement at three hundred rupees each"
say rekha_paid  "Rekha Nair paid one thousand two hundred rupees"
say add_rice    "Add forty kilos of rice to my stock"
say ramesh_paid "Ramesh Kumar paid five hundred rupees on UPI" \
                "Ramesh Kumar paid five hundred rupees on U P I"
say yes         "yes"

# Two seconds of digital silence, as a note sent by accident.
ffmpeg -f lavfi -i "anullsrc=r=48000:cl=mono" -t 2 "${opus[@]}" "$out/silence.ogg"
# "Music": a two-second A-major chord with a tremolo, no words in it.
ffmpeg -f lavfi -i "sine=f=440:d=2" -f lavfi -i "sine=f=554:d=2" -f lavfi -i "sine=f=659:d=2" \
    -filter_complex "amix=inputs=3,tremolo=f=4:d=0.6,volume=2" "${opus[@]}" "$out/music.ogg"
# Corrupt: an Ogg capture pattern followed by bytes that are no codec at all.
{ printf 'OggS\0\2'; head -c 2000 /dev/zero | tr '\0' 'x'; } >"$out/corrupt.ogg"

# What each spoken note says, for the tests.
{ echo "{"; sed '$ s/,$//' "$tmp/index"; echo "}"; } >"$out/texts.json"
ls -l "$out"
