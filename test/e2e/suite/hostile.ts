// Script injection through the extension host: a pcapng whose comments, interface and host names and name
// resolution records are markup (test/support/hostile.ts) reaches the overview as the same strings and the packet
// list as text, with comments on their packets' lines and control characters escaped so no line can be forged.
import * as assert from 'node:assert/strict';
import type * as VSCode from 'vscode';
import { EPB_FORGED_ESCAPED, HOSTILE } from '../../support/hostile';
import { harness } from './harness';

export function hostileSuite(vscode: typeof VSCode): void {
  const h = harness(vscode);
  suite('hostile capture text', () => {
    const uri = h.workspaceFile('hostile.pcapng');

    suiteTeardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    test('the overview carries the strings unchanged (the webview shows them as text)', async () => {
      const s = await h.openAnalysed(uri);
      assert.equal(s.state, 'ready');
      const f = s.overview.captureFacts;
      assert.equal(f.interfaces[0].name, HOSTILE.ifName);
      assert.equal(f.interfaces[0].description, HOSTILE.ifDescription);
      assert.deepEqual(f.sections[0], { index: 0, hardware: HOSTILE.shbHardware, os: HOSTILE.shbOs, application: HOSTILE.shbApp });
      assert.deepEqual(
        f.comments.map((c: { text: string }) => c.text),
        [HOSTILE.shbComment, HOSTILE.ifComment, HOSTILE.epbComment, EPB_FORGED_ESCAPED, HOSTILE.pbComment],
      );
      assert.deepEqual(f.names[0].names, [HOSTILE.nrbName, HOSTILE.nrbName2]);
    });

    test('the packet list shows packet comments verbatim on their lines, one line per packet', async () => {
      const opened = await vscode.commands.executeCommand<string>('tcpscope.openPacketList', uri);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(opened, true));
      const lines = doc.getText().trimEnd().split('\n');
      const frame = (n: number) => lines.find((l) => new RegExp(`^\\s+${n}\\s`).test(l)) ?? '';
      assert.ok(frame(1).endsWith(`stream 0  # ${HOSTILE.epbComment}`), frame(1));
      assert.ok(frame(3).endsWith(`  # ${EPB_FORGED_ESCAPED}`), frame(3));
      assert.ok(frame(4).endsWith(`  # ${HOSTILE.pbComment}`), frame(4));
      // Two header lines and five packets: the forged "frame 99" inside a comment stayed inside its line.
      assert.equal(lines.length, 7, lines.join('\n'));
      assert.equal(lines.filter((l) => /^\s+99\s/.test(l)).length, 0);
      assert.ok(!doc.getText().includes('\u001b') && !doc.getText().includes('\u202e'));
    });
  });
}
