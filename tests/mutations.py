"""Break the product on purpose, one documented way at a time, and show which test catches it.

    .venv/bin/python -m tests.mutations            # baseline, then every mutation
    .venv/bin/python -m tests.mutations --list     # what would be run
    .venv/bin/python -m tests.mutations --only 429 --no-baseline

For each mutation: the working tree (tracked and untracked, not ignored files) is copied to a
scratch directory under /tmp, one source edit is applied there (a string that must occur
exactly once: when the code moves, the run stops and says so, so this list stays honest), and
the tests listed for it run there with -x and a time bound. A mutation is caught when a test
fails. The baseline first runs every listed test on the unmutated copy: a catch means nothing
if the test fails anyway. Exit status 0 only when the baseline passes and every mutation is
caught. See docs/testing.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 600


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Mutation:
    name: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]

    @property
    def files(self) -> str:
        return ", ".join(dict.fromkeys(e.file.removeprefix("matrix_social/")
                                       for e in self.edits))


def mutation(name: str, file: str, old: str, new: str, tests: tuple[str, ...]) -> Mutation:
    return Mutation(name, (Edit(file, old, new),), tests)


_LIMITED_MESSAGE = "        verdict = await self.limiter.check(ai, sender)\n"
_LIMITED_REQUEST = '        verdict = await responder.limiter.check(to_ai, raw["sender"])\n'
_BLOCKS = "tests/test_blocks.py::"
_TOKEN_SIGNUP = ("tests/test_web_signup.py::test_sign_up_with_an_invite_token_a_wrong_one_is_"
                 "refused_in_words")
_CAPTCHA_SIGNUP = ("tests/test_web_signup.py::test_sign_up_through_the_homeservers_robot_check_"
                   "and_a_window_closed_too_soon")
_TABLET = "tests/test_web_design.py::test_every_main_page_lays_out_at_tablet_width"
_PASTE_DROP = ("tests/test_web_messages.py::test_a_pasted_and_a_dropped_image_are_sent_and_a_phone_"
               "shows_one_header")
_GROUPS = "tests/test_msc4501_groups.py::"
_GROUP_FOLLOWED = (_GROUPS + "test_a_group_on_another_server_is_followed_and_its_members_"
                   "posts_fill_the_feed")
_KNOCK_UNANSWERED = (_GROUPS + "test_an_unanswered_knock_stays_pending_and_is_withdrawn_by_"
                     "unfollowing")
_POLICY = "tests/test_policy_lists.py::"
_POLICY_GLOBS = "tests/test_policy_globs.py::"
_COUNTS_SAFETY = "tests/test_counters_safety.py::"
_BLOCKED_MARKS = "tests/test_blocked_mark_counts.py::"
_SAFE_NOTES = "tests/test_notifications_safety_db.py::"
_NOTE_GROUPS = "tests/test_notification_groups_db.py::"
_REPLICAS_TEST = ("tests/test_replicas.py::"
                  "test_two_api_replicas_and_the_ingest_process_share_one_truth")
_MODERATION = "tests/test_moderation.py::"
_REMOTE_SUSPENSION = ("tests/test_remote_suspension.py::"
                      "test_a_suspended_user_of_another_server_reaches_nobody_here")
_SUSPENSIONS_DB = "tests/test_suspensions_db.py::"
_SUSPENDED_RULES = (_SUSPENSIONS_DB
                    + "test_the_index_takes_nothing_of_a_suspended_user_but_his_posts")
_SUSPENSION_SWEEP = (_SUSPENSIONS_DB
                     + "test_a_suspension_takes_his_marks_out_and_the_counts_stay_true")
_COUNTS_SUSPENDED = (_COUNTS_SAFETY
                     + "test_counts_shown_equal_a_fresh_count_under_blocks_mutes_and_suspensions")
_WEB_REMOTE_SUSPENSION = ("tests/test_web_moderation.py::"
                          "test_an_admin_suspends_a_user_of_another_server_and_lifts_it")
_MODERATION_API = ("tests/test_moderation_api.py::"
                   "test_a_server_admin_moderates_through_the_api_and_nobody_else_can")
_WEB_MODERATION = ("tests/test_web_moderation.py::test_an_admin_takes_down_a_reported_post_"
                   "and_others_never_see_moderation")
_AI_BLOCKS = ("tests/test_ai_follows_her_blocks.py::"
              "test_her_ai_never_messages_asks_or_mentions_whom_she_blocked")
_EVERY_PATH_TEST = "tests/test_trust.py::test_every_path_to_an_ai_passes_the_same_limit"
_TRENDING = "tests/test_trending_incremental.py::"
_DELTAS = (_TRENDING +
           "test_deltas_edge_cases_unlike_after_expiry_delete_and_reindex_re_added_like")
_GUARDED = "tests/test_guarded_behaviours.py::"
_DEADLOCK = "tests/test_deadlock_retry.py::"
_SKY = "tests/platforms/test_bluesky.py::"
_SKY_THREADS = "tests/platforms/test_bluesky_threads.py::"
_SKY_THREAD_SHAPE = _SKY + "test_a_long_post_is_a_thread_of_replies_with_facets_per_part"
_SKY_CRAFTED = _SKY + "test_crafted_text_still_makes_valid_parts"
_SKY_RESTART = _SKY_THREADS + "test_a_restart_with_the_pds_answer_lost_never_posts_a_part_twice"
_SKY_IN_FLIGHT = _SKY_THREADS + "test_a_deletion_while_a_part_is_in_flight_leaves_nothing"


MUTATIONS = [
    mutation(
        "responder stops encrypting",
        "matrix_social/ai/responder.py",
        "        event_type, content = await self.encryption.prepare(room, event_type, content)\n",
        "",
        ("tests/test_encryption.py",)),
    mutation(
        "processed mark before the events are stored",
        "matrix_social/matrix/txn_guard.py",
        "                try:\n                    async with batch() as gathered:\n",
        "                try:\n                    await txn.mark_processed(db, key)\n"
        "                    async with batch() as gathered:\n",
        ("tests/test_reliability.py::"
         "test_kill_9_inside_a_transaction_loses_and_duplicates_nothing",)),
    mutation(
        "API answers 429 to most requests",
        "matrix_social/api/auth.py",
        '        token = caller_token(request)\n        key =',
        '        token = caller_token(request)\n'
        '        self._calls = getattr(self, "_calls", 0) + 1\n'
        '        if self._calls % 5:\n'
        '            raise ApiError(429, "M_LIMIT_EXCEEDED", "Too many requests")\n'
        '        key =',
        ("tests/test_reliability.py::test_load_20_clients_ci",)),
    mutation(
        "/ai/request trusts a client-supplied sender",
        "matrix_social/api/routes_messaging.py",
        '        return await self.ai_requests.ask(user, body.get("to"), body.get("content"),\n',
        '        return await self.ai_requests.ask(body.get("sender") or user, body.get("to"),\n'
        '                                          body.get("content"),\n',
        ("tests/test_security.py::test_mallory_cannot_act_for_alice_on_any_route",)),
    mutation(
        "skip the hs_token check (the token compared with itself)",
        "matrix_social/matrix/txn_guard.py",
        "if not hmac.compare_digest(token.encode(), hs_token.encode()):",
        "if not hmac.compare_digest(token.encode(), token.encode()):",
        ("tests/test_foundation.py::test_wrong_hs_token_is_forbidden_and_processes_nothing",
         "tests/test_security.py::test_homeserver_routes_refuse_a_missing_or_wrong_hs_token")),
    mutation(
        "stop reading MSC4501's 👍 as a like",
        "matrix_social/events.py",
        'LIKE_KEYS = ("👍", "❤️")',
        'LIKE_KEYS = ("❤️",)',
        ("tests/test_index_rules.py::test_thumbs_up_and_heart_are_one_like_per_person",)),
    mutation(
        "count a person's 👍 and ❤️ on one post as two likes",
        "matrix_social/db/upgrade/v09_post_counters.py",
        "WHEN NOT EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = NEW.post_id",
        "WHEN NOT EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = NEW.post_id AND 0",
        ("tests/test_index_rules.py::test_thumbs_up_and_heart_are_one_like_per_person",)),
    mutation(
        "keep an MSC4501 repost's embedded (unverified) copy of the original",
        "matrix_social/matrix/ingest/rules.py",
        "if key not in (ev.SOCIAL_RELATES_TO, ev.SOCIAL_BODY, \"m.relates_to\")}",
        "if key not in (ev.SOCIAL_BODY, \"m.relates_to\")}",
        ("tests/test_index_rules.py::"
         "test_an_msc4501_repost_points_at_the_live_original_never_its_embedded_copy",)),
    mutation(
        "accept a profile room whose profile_user_id names somebody else",
        "matrix_social/matrix/msc4501.py",
        ".get(ev.SOCIAL_PROFILE_USER_ID_KEY) != owner:",
        ".get(ev.SOCIAL_PROFILE_USER_ID_KEY) is None:",
        ("tests/test_msc4501.py::test_the_ownership_rules_of_a_profile_room",)),
    mutation(
        "accept a profile_user_id anybody below power level 100 may change",
        "matrix_social/matrix/msc4501.py",
        "    if needed < OWNER_LEVEL:\n",
        "    if needed < 0:\n",
        ("tests/test_msc4501.py::test_the_ownership_rules_of_a_profile_room",)),
    mutation(
        "follow the room a profile field names without the room naming the owner back",
        "matrix_social/matrix/remote_feeds.py",
        "        problem = msc4501.ownership_problem(state, owner)\n",
        "        problem = None\n",
        ("tests/test_msc4501.py::test_a_profile_room_claiming_someone_else_is_nobodys_feed",)),
    mutation(
        "a reindex forgets verified MSC4501 profile rooms",
        "matrix_social/matrix/reindex.py",
        "                return await self._verify_profile_room(room_id)\n",
        "                return None\n",
        ("tests/test_msc4501.py::test_an_msc4501_profile_room_is_followed_read_and_counted",)),
    mutation(
        "index a non-owner's top-level message as a post",
        "matrix_social/matrix/ingest/rules.py",
        "        elif relation.rel_type is None and feed.may_post(sender):\n",
        "        elif relation.rel_type is None:\n",
        # End to end the feed's hygiene also redacts such a message, so the index ends up
        # right even without the rule; the rule itself is checked in test_index_rules.
        ("tests/test_social_posts.py::test_top_level_message_by_a_non_owner_is_not_a_post",
         "tests/test_index_rules.py::"
         "test_a_top_level_message_by_anyone_but_the_owner_is_not_a_post")),
    # The AI rate limit, one path at a time (every path passes the same limiter).
    mutation(
        "no AI rate limit for DMs",
        "matrix_social/ai/responder.py", _LIMITED_MESSAGE,
        "        verdict = Verdict.ALLOW if direct else await self.limiter.check(ai, sender)\n",
        ("tests/test_ai_puppets.py::"
         "test_eleventh_message_in_an_hour_reaches_no_backend_even_after_restart",)),
    mutation(
        "no AI rate limit for mentions in groups",
        "matrix_social/ai/responder.py", _LIMITED_MESSAGE,
        "        verdict = Verdict.ALLOW if not direct else "
        "await self.limiter.check(ai, sender)\n",
        ("tests/test_ai_puppets.py::test_a_mention_in_a_group_passes_the_same_limit",)),
    mutation(
        "no AI rate limit for users of other servers",
        "matrix_social/ai/responder.py", _LIMITED_MESSAGE,
        "        verdict = (Verdict.ALLOW if self.ids.local_localpart(sender) is None\n"
        "                   else await self.limiter.check(ai, sender))\n",
        ("tests/test_federation.py::test_a_user_of_another_server_passes_the_same_ai_limit",)),
    mutation(
        "no AI rate limit for ai_request events sent by clients",
        "matrix_social/ai/ai_to_ai.py", _LIMITED_REQUEST,
        '        verdict = (Verdict.ALLOW if not self.ids.is_ai(raw["sender"])\n'
        '                   else await responder.limiter.check(to_ai, raw["sender"]))\n',
        (_EVERY_PATH_TEST,)),
    Mutation(
        "no AI rate limit for POST /ai/request",
        (Edit("matrix_social/social/ai_requests.py",
              "        if self.ids.is_ai(target):  # ours",
              "        if False:  # ours"),
         Edit("matrix_social/ai/ai_to_ai.py", _LIMITED_REQUEST,
              '        verdict = (Verdict.ALLOW if self.ids.is_ai(raw["sender"])\n'
              '                   else await responder.limiter.check(to_ai, raw["sender"]))\n')),
        (_EVERY_PATH_TEST,)),
    mutation(
        "health says ok whatever its checks found",
        "matrix_social/api/health.py",
        '        ok = database["ok"] and homeserver["ok"]\n',
        "        ok = True\n",
        ("tests/test_reliability.py::test_health_names_the_database_when_it_is_down",
         "tests/test_reliability.py::test_health_names_the_homeserver_when_it_does_not_answer")),
    # External platforms (issue 22).
    mutation(
        "followers-only and direct Mastodon statuses are bridged",
        "matrix_social/external/platforms/mastodon.py",
        '    return status.get("visibility") in BRIDGED_VISIBILITIES and not status.get("reblog")',
        '    return not status.get("reblog")',
        ("tests/platforms/test_mastodon.py::test_only_public_and_unlisted_statuses_are_items",
         "tests/test_platform_items.py::"
         "test_followers_only_and_direct_statuses_never_leave_mastodon")),
    mutation(
        "the unspecified addresses pass when loopback is allowed",
        "matrix_social/external/net.py",
        "    if addr.is_unspecified:\n        return False",
        "    if addr.is_unspecified:\n        return allow_loopback",
        ("tests/platforms/test_redirects.py::"
         "test_a_redirect_to_an_unspecified_address_reaches_no_local_listener",)),
    mutation(
        "poll jitter may make a poll sooner than X-Poll-Interval",
        "matrix_social/external/polling.py",
        "    return seconds * rng.uniform(1, 1 + JITTER)",
        "    return seconds * rng.uniform(1 - JITTER, 1 + JITTER)",
        ("tests/platforms/test_polling.py::"
         "test_a_poll_never_comes_before_the_poll_interval_or_a_spent_budget_s_reset",
         "tests/platforms/test_github.py::"
         "test_the_next_poll_keeps_the_fake_s_poll_interval_and_waits_for_its_reset")),
    mutation(
        "a content warning's text is shown in clear in the body",
        "matrix_social/external/items.py",
        '        body = f"[Spoiler for {warning}]({item.url})\\n\\n{label}: {item.url}"',
        '        body = f"CW: {warning}\\n\\n{text}\\n\\n{label}: {item.url}"',
        ("tests/test_platform_items.py::"
         "test_a_content_warning_is_a_matrix_spoiler_and_sensitive_media_is_marked",)),
    mutation(
        "request bodies read only as far as they are buffered (the old media read)",
        "matrix_social/api/params.py",
        "                while chunk := await request.content.readany():\n",
        "                for chunk in [await request.content.read(limit + 1)]:\n",
        ("tests/test_slow_network.py::test_bodies_arriving_in_segments_are_read_whole",)),
    mutation(
        "no pixel cap at upload",
        "matrix_social/social/media.py",
        "    refusal = limits.refusal(header)\n",
        "    refusal = None\n",
        ("tests/test_image_limits.py::test_a_13000_square_png_of_160_kb_is_refused_at_upload",
         "tests/test_image_convert.py::"
         "test_the_pixel_cap_comes_from_the_header_before_any_decoding")),
    mutation(
        "the signed image URL converts the image at every fetch (no stored JPEG)",
        "matrix_social/external/media_links.py",
        "            return await self.derivatives.instagram_jpeg_bytes(mxc)\n",
        "            import asyncio\n"
        "            from .image_convert import as_jpeg_released\n"
        "            return await asyncio.to_thread(as_jpeg_released, await self.derivatives"
        "._download(mxc), self.derivatives.limits)\n",
        ("tests/test_image_limits.py::"
         "test_the_instagram_jpeg_is_made_once_and_served_from_the_store",)),
    mutation(
        "a claim whose process is gone waits for the stale limit (every holder alive)",
        "matrix_social/api/process_lease.py",
        '        if holder in ("", self.id):\n            return True\n',
        "        if True:\n            return True\n",
        ("tests/test_reliability.py::"
         "test_a_retry_after_a_crash_takes_the_dead_claim_over_at_once",)),
    mutation(
        "a claim of another live process is taken over (any holder but me counted gone)",
        "matrix_social/api/process_lease.py",
        '        if holder in ("", self.id):\n            return True\n',
        '        return holder in ("", self.id)\n',
        ("tests/test_process_lease.py::"
         "test_a_holder_is_alive_while_its_process_runs_and_its_lease_holds",
         "tests/test_reliability.py::"
         "test_a_retry_after_a_crash_takes_the_dead_claim_over_at_once")),
    mutation(
        "no cap per sender in the quarantine",
        "matrix_social/matrix/ingest/quarantine.py",
        "        dropped = await quarantine.trim_sender(self.db, sender, "
        "self.limits.max_per_sender)\n",
        "        dropped = 0\n",
        ("tests/test_quarantine.py::test_the_newest_events_per_sender_and_in_all_are_kept",
         "tests/test_trust.py::"
         "test_thousands_of_bad_events_from_one_account_leave_the_quarantine_bounded")),
    mutation(
        "the login callback trusts the state alone (login CSRF)",
        "matrix_social/external/login.py",
        "        bound = user_id == pending.user_id or (\n",
        "        bound = True or user_id == pending.user_id or (\n",
        ("tests/test_platform_logins.py::"
         "test_a_login_link_mallory_sends_never_gives_her_the_victims_account",
         "tests/platforms/test_login_binding.py::"
         "test_a_login_brought_back_by_another_browser_connects_nothing")),
    mutation(
        "a held login can be confirmed by anybody holding its code",
        "matrix_social/db/login_confirmations.py",
        '    query = ("DELETE FROM login_confirmation WHERE code_hash=$1 AND user_id=$2"\n',
        '    query = ("DELETE FROM login_confirmation WHERE code_hash=$1 AND (user_id=$2 OR 1=1)"'
        "\n",
        ("tests/test_platform_logins.py::"
         "test_a_login_link_mallory_sends_never_gives_her_the_victims_account",
         "tests/platforms/test_login_binding.py::"
         "test_a_login_brought_back_by_another_browser_connects_nothing")),
    mutation(
        "a 401 on a cross-post leaves the connection working",
        "matrix_social/external/grants.py",
        '        await self.mark_broken(row, f"the login was revoked, expired or refused "\n',
        '        (row, f"the login was revoked, expired or refused "\n',
        ("tests/test_platform_logins.py::test_a_401_on_a_cross_post_breaks_the_connection_at_once",
         "tests/platforms/test_crosspost.py::"
         "test_a_401_on_a_cross_post_breaks_the_connection_at_once")),
    mutation(
        "an X 403 refuses only the post, never the login",
        "matrix_social/external/platforms/x.py",
        '            raise AuthRevoked("x", f"X refused access ({detail})") from None\n',
        '            raise Refused("x", detail) from None\n',
        ("tests/platforms/test_crosspost.py::"
         "test_a_403_on_an_image_upload_breaks_the_x_connection",)),
    # Issue 22, finding 16: behaviours the whole suite once let break unnoticed.
    mutation(
        "loopback Mastodon instances allowed when the config does not say",
        "matrix_social/example-config.yaml",
        "    allow_loopback_instances: false\n",
        "    allow_loopback_instances: true\n",
        (_GUARDED + "test_loopback_instances_are_refused_when_the_config_does_not_mention_them",)),
    # Issue 23: each config key once (config/sections.py); the rest follows from the table.
    mutation(
        "mautrix's update drops the api.* keys an operator set",
        "matrix_social/config/__init__.py",
        "            if not key.mautrix:\n",
        '            if not key.mautrix and not key.path.startswith("api."):\n',
        ("tests/test_config.py::"
         "test_a_value_the_operator_set_survives_the_update_and_the_typed_view_reads_it",)),
    mutation(
        "the ai.* keys are not checked at start",
        "matrix_social/config/__init__.py",
        "            if key.check is None:\n",
        '            if key.check is None or key.path.startswith("ai."):\n',
        ("tests/test_config.py::"
         "test_each_check_refuses_a_wrong_value_with_one_line_naming_its_key",)),
    mutation(
        "the logging config disables the libraries' loggers made before it",
        "matrix_social/bridge.py",
        '        self.config["logging"].setdefault("disable_existing_loggers", False)\n',
        "",
        (_GUARDED + "test_loggers_made_before_the_logging_config_keep_logging",)),
    mutation(
        "loopback Mastodon instances allowed when the mapping has no key",
        "matrix_social/external/registry.py",
        'allow_loopback=bool(section.get("allow_loopback_instances", False)),',
        'allow_loopback=bool(section.get("allow_loopback_instances", True)),',
        (_GUARDED + "test_loopback_instances_are_refused_when_the_config_does_not_mention_them",)),
    mutation(
        "an empty cross_post list falls back to the default targets (the request's reading)",
        "matrix_social/social/posts.py",
        '        if "cross_post" not in body:',
        '        if not body.get("cross_post"):',
        (_GUARDED + "test_an_explicit_empty_cross_post_list_posts_nowhere_despite_default_targets",
         )),
    mutation(
        "an empty cross_post list falls back to the default targets (cross-posting's reading)",
        "matrix_social/external/crossposting.py",
        "        targets = post.cross_post if post.cross_post is not None else \\\n",
        "        targets = post.cross_post if post.cross_post else \\\n",
        (_GUARDED + "test_an_explicit_empty_cross_post_list_posts_nowhere_despite_default_targets",
         )),
    mutation(
        "Posts stop announcing edits (cross-posts keep their old text)",
        "matrix_social/social/posts.py",
        '        await self._announce("edited", Edited(post_id, room_id, user, row["kind"], '
        'new))\n',
        "",
        ("tests/test_cross_posting.py::"
         "test_a_post_to_all_three_no_echo_and_the_deletion_following",)),
    mutation(
        "the web app is served no platform list (the settings offer nothing to tick)",
        "matrix_social/api/web_app.py",
        '        "platforms": platforms,\n',
        '        "platforms": [],\n',
        ("tests/test_web_settings.py::"
         "test_connect_share_defaults_compose_preview_publish_and_disconnect",)),
    mutation(
        "a platform's section takes keys its settings do not declare",
        "matrix_social/external/registry.py",
        "        if not isinstance(value, Mapping) or not set(value) <= known:\n",
        "        if not isinstance(value, Mapping):\n",
        ("tests/test_cli.py::test_bad_config_stops_with_one_line_naming_the_field",
         "tests/platforms/test_registry.py::test_a_new_platform_is_one_declaration")),
    mutation(
        "the web app renders markup in a post's text",
        "matrix_social/web/js/dom.js",
        '  parts.push(String(text || "").slice(last));',
        '  parts.push(Object.assign(document.createElement("span"),\n'
        '    { innerHTML: String(text || "").slice(last) }));',
        ("tests/test_web_markup.py::test_markup_in_a_post_is_shown_as_literal_text",)),
    mutation(
        "her own message waiting to be encrypted is labelled \"not encrypted\"",
        "matrix_social/web/js/messages.js",
        "  if (!event.isEncrypted() && !pendingInEncryptedRoom) {",
        "  if (!event.isEncrypted()) {",
        ("tests/test_web_messages.py::test_images_files_and_app_links_in_an_encrypted_dm_never_"
         "labelled_unencrypted",)),
    mutation(
        "a new browser restores nothing from the key backup",
        "matrix_social/web/js/key-backup.js",
        "          result = await crypto.restoreKeyBackup();",
        "          result = { imported: 0 };",
        ("tests/test_web_messages.py::test_a_new_browser_reads_earlier_messages_after_restoring_"
         "the_key_backup",)),
    mutation(
        "signing up does not need the terms accepted",
        "matrix_social/web/js/signup.js",
        '  const accept = h("input", { type: "checkbox", name: "accept-terms", required: true });',
        '  const accept = h("input", { type: "checkbox", name: "accept-terms" });',
        ("tests/test_web_signup.py::test_sign_up_with_the_terms_then_welcome_steps_fill_the_"
         "first_home",)),
    mutation(
        "the welcome steps are shown again once done",
        "matrix_social/web/js/welcome.js",
        "  if (await onboardingDone(ctx).catch(() => false)) {",
        "  if (false) {",
        ("tests/test_web_signup.py::test_sign_up_with_the_terms_then_welcome_steps_fill_the_"
         "first_home",)),
    mutation(
        "suggestions leave out the person's AI",
        "matrix_social/social/explore.py",
        '"ai": await self._ai_of(uid)})',
        '"ai": None})',
        ("tests/test_web_signup.py::test_sign_up_with_the_terms_then_welcome_steps_fill_the_"
         "first_home",)),
    mutation(
        "the ingest rules get a follow fence of their own",
        "matrix_social/services.py",
        "                                          self.follow_fence, self.bars),",
        "                                          FollowFence(), self.bars),",
        (_GUARDED + "test_an_old_leave_arriving_after_a_refollow_does_not_undo_it",)),
    mutation(
        "the AI limit counts every sender's messages together",
        "matrix_social/db/ai_rate.py",
        '"SELECT COUNT(*) FROM ai_rate_event WHERE ai=$1 AND sender=$2 AND ts > $3",',
        '"SELECT COUNT(*) FROM ai_rate_event WHERE ai=$1 AND (sender=$2 OR TRUE) "\n'
        '        "AND ts > $3",',
        (_GUARDED + "test_one_sender_over_the_ai_limit_leaves_another_sender_free",)),
    mutation(
        "a post may use images somebody else uploaded",
        "matrix_social/social/media.py",
        '        if row is None or row["owner"] != owner:',
        "        if row is None:",
        ("tests/test_rich_posts.py::test_images_and_warnings_an_attacker_cannot_post",)),
    Mutation(
        "five images in a post",
        (Edit("matrix_social/social/posts.py",
              "not 1 <= len(given) <= ev.MAX_POST_IMAGES:", "not 1 <= len(given) <= 5:"),
         Edit("matrix_social/content/compose.py",
              "if not 1 <= len(images) <= ev.MAX_POST_IMAGES:", "if not 1 <= len(images) <= 5:")),
        ("tests/test_rich_posts.py::test_images_and_warnings_an_attacker_cannot_post",)),
    mutation(
        "a plain client's spoiler is not read as a content warning",
        "matrix_social/content/parse.py",
        "    found = _SPOILER.search(formatted[:65536])\n",
        "    found = None\n",
        ("tests/test_rich_posts.py::test_a_plain_clients_spoilers_are_read_back_as_content_warnings",)),
    mutation(
        "a pin of somebody else's post counts",
        "matrix_social/db/feed.py",
        '        f"{SELECT_POST} WHERE p.event_id = $2 AND p.author = $3 AND p.room_id = $4 "',
        '        f"{SELECT_POST} WHERE p.event_id = $2 AND $3::text IS NOT NULL "\n'
        '        "AND $4::text IS NOT NULL "',
        ("tests/test_profile_extras.py::test_a_pin_must_name_her_own_post_in_her_own_feed",)),
    mutation(
        "her AI is renamed only when her member event comes back",
        "matrix_social/services.py",
        "                        on_updated=[self.profile_mirror.profile_edited,\n",
        "                        on_updated=[\n",
        ("tests/test_profile_extras.py::test_the_ai_profile_names_its_owner_as_she_is_called_now",)),
    mutation(
        "an Idempotency-Key loses an optional JSON body",
        "matrix_social/api/params.py",
        "    return await json_object(request) if request.body_exists else {}",
        "    return await json_object(request) if request.can_read_body else {}",
        ("tests/test_rich_posts.py::test_an_idempotency_key_keeps_the_request_body_for_every_route",)),
    mutation(
        "a body is read only as far as it is buffered (a slow uplink loses the rest)",
        "matrix_social/api/params.py",
        "                while chunk := await request.content.readany():\n",
        "                while chunk := request.content.read_nowait():\n",
        ("tests/test_web_design.py::test_a_photo_uploads_over_a_phone_uplink_of_750_kbits",)),
    mutation(
        "a second Ctrl-C cuts the dev stack's stop short",
        "matrix_social/devstack/run.py",
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    signal.signal(signal.SIGTERM, "
        "signal.SIG_IGN)\n    raise KeyboardInterrupt\n",
        "    raise KeyboardInterrupt\n",
        ("tests/test_cli.py::test_dev_stack_starts_prints_login_and_reuses_its_folder",)),
    mutation(
        "a second SIGTERM breaks the service's stop off half-way",
        "matrix_social/bridge.py",
        "        signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n        arm_stop_deadline(",
        "        arm_stop_deadline(",
        (_GUARDED + "test_a_second_signal_while_stopping_is_ignored",)),
    mutation(
        "a thread drawn again drops the reply she was typing",
        "matrix_social/web/js/thread.js",
        '        const replyArea = h("div", {}, open || null);\n',
        '        const replyArea = h("div", {});\n',
        ("tests/test_web_app.py::test_feed_live_likes_comments_and_counts",)),
    mutation(
        "a stop that hangs keeps the process",
        "matrix_social/bridge.py",
        "        os._exit(1)\n",
        "        return\n",
        ("tests/test_cli.py::test_a_stop_that_hangs_ends_the_process_and_names_what_still_ran",)),
    mutation(
        "a blocked user's posts stay in her feed",
        "matrix_social/social/feed.py",
        '        page["items"] = await self.blocks.filter_posts(viewer, page["items"], hidden)\n',
        "",
        (_BLOCKS + "test_a_blocked_local_user_leaves_her_views_and_reaches_her_by_no_path",)),
    mutation(
        "a profile's posts keep the marks of people she blocked in their counts",
        "matrix_social/social/feed.py",
        "        await self.seen_by(viewer, page[\"items\"])\n        return page\n",
        "        await self.with_originals(viewer, page[\"items\"])\n        return page\n",
        (_COUNTS_SUSPENDED,)),
    mutation(
        "a repost's original keeps the marks of people she blocked in its counts",
        "matrix_social/social/feed.py",
        "        await self.blocks.without_their_counts(viewer, list(found.values()), hidden)\n",
        "",
        (_COUNTS_SAFETY + "test_the_original_inside_a_repost_is_counted_as_she_sees_it",
         _COUNTS_SUSPENDED)),
    mutation(
        "her bookmarks keep the marks of people she blocked in their counts",
        "matrix_social/social/bookmarks.py",
        "        await self.feed.seen_by(user, page[\"items\"])\n",
        "        await self.feed.with_originals(user, page[\"items\"])\n",
        (_COUNTS_SUSPENDED,)),
    mutation(
        "a pinned post keeps the marks of people she blocked in its counts",
        "matrix_social/social/feed.py",
        "        view = self.view(row)\n"
        "        await self.blocks.without_their_counts(viewer, [view])\n        return view\n",
        "        return self.view(row)\n",
        (_COUNTS_SUSPENDED,)),
    mutation(
        "a blocked person's reposts leave her count once per person, not once each",
        "matrix_social/db/upgrade/v26_blocked_mark_counts.py",
        '("post", "repost_of", "author", "reposts", False,',
        '("post", "repost_of", "author", "reposts", True,',
        (_COUNTS_SAFETY + "test_two_reposts_by_one_blocked_person_both_leave_her_count",)),
    mutation(
        "a blocked person's second ❤️ of a post counts twice in her blocked marks",
        "matrix_social/db/upgrade/v26_blocked_mark_counts.py",
        '("post_like", "post_id", "user_id", "likes", True, ""),',
        '("post_like", "post_id", "user_id", "likes", False, ""),',
        (_BLOCKED_MARKS + "test_blocked_mark_counts_equal_a_count_from_scratch",)),
    mutation(
        "an unblock adds his marks to her blocked marks again (PostgreSQL)",
        "matrix_social/db/upgrade/v26_blocked_mark_counts.py",
        "            UPDATE blocked_mark_count AS c SET likes = c.likes - x.likes,\n",
        "            UPDATE blocked_mark_count AS c SET likes = c.likes + x.likes,\n",
        (_BLOCKED_MARKS + "test_blocked_mark_counts_equal_a_count_from_scratch",)),
    mutation(
        "his mark while she blocks him is counted by neither writer (PostgreSQL)",
        "matrix_social/db/upgrade/v26_blocked_mark_counts.py",
        "            {_lock_people(person, shared=True, only=only)}\n",
        "\n",
        (_BLOCKED_MARKS + "test_concurrent_writers_keep_her_counts",)),
    mutation(
        "an API write PostgreSQL ended to break a deadlock is not run again",
        "matrix_social/db/retry.py",
        "            if not ended_to_resolve_a_conflict(e):\n                raise\n",
        "            raise\n",
        (_DEADLOCK + "test_a_block_deadlocked_with_an_ingest_batch_goes_through_the_api",)),
    Mutation(
        "the API's like, comment or post is indexed without the retry after a deadlock",
        (Edit("matrix_social/matrix/ingest/writer.py",
              "    await in_transaction(db, _write_batch_in, db.scheme, post_rows, like_rows, "
              "comment_rows,\n                         mention_rows, processed_txn)\n",
              "    async with db.acquire() as conn, conn.transaction():\n"
              "        await _write_batch_in(conn, db.scheme, post_rows, like_rows, comment_rows,\n"
              "                              mention_rows, processed_txn)\n"),),
        (_DEADLOCK + "test_a_comment_deadlocked_with_a_batch_and_a_block_goes_through_the_api",)),
    mutation(
        "a block bans nobody from her feed room",
        "matrix_social/social/blocks.py",
        "            await self.rooms.bot.ban_user(room, UserID(who), BAN_REASON)\n",
        "            pass\n",
        (_BLOCKS + "test_a_blocked_user_of_another_server_is_shut_out_in_matrix",)),
    mutation(
        "a block leaves her ignore list alone (his invites reach her)",
        "matrix_social/social/blocks.py",
        "        await self._set_ignored(owner, add=targets)\n",
        "",
        (_BLOCKS + "test_a_blocked_user_of_another_server_is_shut_out_in_matrix",)),
    mutation(
        "her AI answers somebody she blocked",
        "matrix_social/ai/rate_limit.py",
        "        if await self.blocked(ai, sender):\n            return Verdict.SILENT\n",
        "",
        (_BLOCKS + "test_a_blocked_user_of_another_server_is_shut_out_in_matrix",)),
    mutation(
        "his likes and comments on her posts are not redacted at a block",
        "matrix_social/social/blocks.py",
        "        for event_id in [*likes, *comments, *notices]:\n",
        "        for event_id in []:\n",
        (_BLOCKS + "test_a_blocked_local_user_leaves_her_views_and_reaches_her_by_no_path",)),
    mutation(
        "a blocked user may comment on her posts through the API",
        "matrix_social/social/posts.py",
        '        await self.feed.blocks.refuse_if_blocked(post_author, user, '
        '"comment on this post")\n',
        "",
        (_BLOCKS + "test_a_blocked_local_user_leaves_her_views_and_reaches_her_by_no_path",)),
    mutation(
        "a takedown is not redacted in Matrix (Element still shows it)",
        "matrix_social/social/moderation.py",
        "        await self.intents.bot.redact(RoomID(room_id), EventID(event_id),\n",
        "        if False:\n"
        "            await self.intents.bot.redact(RoomID(room_id), EventID(event_id),\n",
        (_MODERATION + "test_reports_reach_synapse_and_the_queue_and_a_takedown_is_a_redaction",)),
    mutation(
        "the moderation queue answers anybody",
        "matrix_social/api/routes_moderation.py",
        "        if not await self.auth.is_server_admin(request, user):\n",
        "        if False:\n",
        (_MODERATION + "test_reports_reach_synapse_and_the_queue_and_a_takedown_is_a_redaction",
         _MODERATION_API)),
    mutation(
        "a moderation action is done without a reason",
        "matrix_social/social/moderation.py",
        '    return clean_text(reason, "reason", max_chars=MAX_REASON)\n',
        "    return str(reason)\n",
        (_MODERATION_API,)),
    mutation(
        "a takedown from a report leaves the report open",
        "matrix_social/social/moderation.py",
        '            await moderation.set_status(self.db, report, "resolved")\n',
        "            pass\n",
        (_MODERATION_API,)),
    mutation(
        "an action naming an unknown report is done anyway",
        "matrix_social/social/moderation.py",
        "        if await moderation.report(self.db, number) is None:\n",
        "        if False:\n",
        (_MODERATION_API,)),
    mutation(
        "the Moderation entry is shown to everybody",
        "matrix_social/web/js/shell.js",
        '    if (link) link.closest("li").hidden = !isAdmin;\n',
        '    if (link) link.closest("li").hidden = false;\n',
        (_WEB_MODERATION,)),
    mutation(
        "the web app's takedown dialog sends without a reason",
        "matrix_social/web/js/moderation.js",
        "      if (!reason.value.trim()) {\n",
        "      if (false) {\n",
        (_WEB_MODERATION,)),
    mutation(
        "her AI messages somebody she blocked (send_matrix_message)",
        "matrix_social/social/ipc.py",
        '        await self.blocks.refuse_if_owner_blocked(caller, to, "message")\n',
        "",
        (_AI_BLOCKS,)),
    mutation(
        "her AI asks an AI she blocked",
        "matrix_social/social/ai_requests.py",
        '        await self.blocks.refuse_if_owner_blocked(user, target, "ask")\n',
        "",
        (_AI_BLOCKS,)),
    mutation(
        "a post as her AI mentions somebody she blocked",
        "matrix_social/social/mentions.py",
        "        if owner is not None:  # an AI follows its owner's choices",
        "        if False:  # an AI follows its owner's choices",
        (_AI_BLOCKS,)),
    mutation(
        "a suspended user is still found by search (the bars' matcher without suspensions)",
        "matrix_social/matrix/bars.py",
        "        return BarMatcher(await self.suspended(), policy or None)\n",
        "        return BarMatcher({}, policy or None)\n",
        (_MODERATION + "test_a_suspended_feed_is_read_only_and_hidden_from_search",)),
    mutation(
        "a muted word matches inside other words",
        "matrix_social/social/mutes.py",
        '    return re.compile(rf"(?<!\\w)(?:{alternatives})(?!\\w)")\n',
        '    return re.compile(rf"(?:{alternatives})")\n',
        ("tests/test_mutes_db.py::test_a_muted_word_hides_exactly_the_posts_it_names",)),
    mutation(
        "a home-timeline item is shared to her feed room",
        "matrix_social/external/bridging.py",
        "            if row.share_with_followers and item.kind != HOME else None",
        "            if row.share_with_followers else None",
        ("tests/test_home_timeline.py::test_a_home_timeline_item_is_only_in_its_owners_feed",)),
    mutation(
        "Bluesky counts code points, not graphemes",
        "matrix_social/external/platforms/bluesky.py",
        '    return len(regex.findall(r"\\X", text))',
        "    return len(text)",
        ("tests/platforms/test_bluesky.py::test_length_is_graphemes_as_bluesky_counts",)),
    mutation(
        "the atproto SDK refreshes the session behind Grants' back",
        "matrix_social/external/platforms/bluesky.py",
        "            def _should_refresh_session(self) -> bool:\n                return False",
        "            def _should_refresh_session(self) -> bool:\n"
        "                return super()._should_refresh_session()",
        ("tests/platforms/test_bluesky.py::test_the_sdk_never_refreshes_silently",)),
    mutation(
        "a Bluesky delete trusts the record's repo",
        "matrix_social/external/platforms/bluesky.py",
        "        if parts is None or parts[0] != account.id or parts[1] != \"app.bsky.feed.post\":",
        "        if parts is None or parts[1] != \"app.bsky.feed.post\":",
        ("tests/platforms/test_bluesky.py::"
         "test_delete_propagates_and_edit_is_refused_with_the_reason",)),
    mutation(
        "a session's PDS over plain http is used",
        "matrix_social/external/platforms/bluesky.py",
        "        return self.settings.allow_loopback and parts.scheme == \"http\" and \\",
        "        return parts.scheme == \"http\" and \\",
        ("tests/platforms/test_bluesky.py::test_a_pds_the_section_does_not_allow_is_refused",)),
    mutation(
        "a thread's split falls inside a grapheme cluster (code points taken for clusters)",
        "matrix_social/external/formatting.py",
        '        self.bounds = [m.end() for m in regex.finditer(r"\\X", text)]',
        '        self.bounds = [m.end() for m in regex.finditer(r"(?s).", text)]',
        (_SKY + "test_splits_never_cut_a_grapheme_cluster",)),
    mutation(
        "a thread's numbering is not counted in its part's length",
        "matrix_social/external/formatting.py",
        "            return fits(candidate + number)",
        "            return fits(candidate)",
        (_SKY_CRAFTED, _SKY + "test_every_split_is_valid_and_loses_nothing")),
    mutation(
        "every reply of a Bluesky thread names the first part as its parent",
        "matrix_social/external/platforms/bluesky.py",
        "            root, parent = root or made, made",
        "            root, parent = root or made, root or made",
        (_SKY_THREAD_SHAPE, _SKY_THREADS + "test_a_failure_at_part_two_is_continued_at_part_two")),
    mutation(
        "every part of a Bluesky thread gets the first part's facets",
        "matrix_social/external/platforms/bluesky.py",
        "embed=embed, langs=[\"en\"], facets=_facets(client, part) or None)",
        "embed=embed, langs=[\"en\"], facets=_facets(client, log.parts[0]) or None)",
        (_SKY_THREAD_SHAPE,)),
    mutation(
        "a piece of a link cut between two parts is made a link",
        "matrix_social/external/platforms/bluesky.py",
        "    return [f for f in found if not any(",
        "    return [f for f in found if True or not any(",
        (_SKY_CRAFTED,)),
    mutation(
        "a retry sends again a part whose answer was lost, without asking the PDS",
        "matrix_social/external/platforms/bluesky.py",
        "            cid = await self._made_before(token, account.id, rkey)",
        "            cid = None",
        (_SKY_RESTART,)),
    mutation(
        "a thread part's record key is not recorded before it is sent",
        "matrix_social/external/delivery.py",
        "        await parts_db.reserve(self.db, self.row.post_event_id, self.row.target, index,\n"
        "                               remote_id, now_ms())\n",
        "",
        (_SKY_RESTART,)),
    mutation(
        "deleting the post leaves a thread that stopped half made",
        "matrix_social/external/delivery.py",
        "            if posts is None:  # a deletion: whatever was made, delivered or not\n",
        "            if posts is None and row.status != deliveries.DELIVERED:\n"
        "                continue\n"
        "            if posts is None:  # a deletion: whatever was made, delivered or not\n",
        (_SKY_THREADS + "test_a_thread_stopped_half_made_is_deleted_too",)),
    mutation(
        "deleting the post deletes the first part of its thread only",
        "matrix_social/external/delivery.py",
        "            for part in reversed(parts):",
        "            for part in parts[:1]:",
        (_SKY_THREADS + "test_deleting_the_post_deletes_every_part",)),
    mutation(
        "a thread in flight goes on after its post was deleted",
        "matrix_social/external/delivery.py",
        "        if current is None or current.status != deliveries.SENDING:",
        "        if current is None:",
        (_SKY_IN_FLIGHT,)),
    mutation(
        "an attempt's outcome overwrites the deletion that cancelled it",
        "matrix_social/external/delivery.py",
        "            settled = await deliveries.mark_refused(self.db, *key, _reason(e), now_ms(),\n"
        "                                                    only_from=deliveries.SENDING)",
        "            settled = await deliveries.mark_refused(self.db, *key, _reason(e), now_ms())",
        (_SKY_IN_FLIGHT,)),
    mutation(
        "the bot keeps the message with the app password",
        "matrix_social/external/commands.py",
        "    return bool(words) and words[0].lower().lstrip(\"!\") == \"login\" and \\",
        "    return False and bool(words) and \\",
        ("tests/test_bluesky_bridge.py",)),
    mutation(
        "trending tags count posts, not distinct authors",
        "matrix_social/db/post_tags.py",
        '"SELECT tag, COUNT(DISTINCT author) AS accounts, COUNT(*) AS uses FROM post_tag "',
        '"SELECT tag, COUNT(author) AS accounts, COUNT(*) AS uses FROM post_tag "',
        ("tests/test_tags.py::test_tag_pages_and_trends_on_both_databases",)),
    mutation(
        "a tag in a request is taken as it comes (path characters reach the query)",
        "matrix_social/content/tags.py",
        "    if not _NAME.fullmatch(tag) or _name(tag) != tag:\n        return None\n",
        "",
        ("tests/test_tags.py::test_a_tag_from_a_request_is_one_tag_or_refused",
         "tests/test_tags.py::test_tags_through_the_homeserver_from_the_api_and_from_a_plain_client")),
    mutation(
        "a # inside a URL path or fragment is a tag",
        "matrix_social/content/tags.py",
        "            continue\n        name = _name(match.group(1))",
        "            pass\n        name = _name(match.group(1))",
        ("tests/test_tags.py::test_what_a_tag_is",)),
    mutation(
        "a deleted post's tags stay counted",
        "matrix_social/db/upgrade/v17_social_tags.py",
        "    DELETE FROM post_tag WHERE post_id = OLD.event_id;",
        "    SELECT 1;",
        ("tests/test_tags.py::test_tag_pages_and_trends_on_both_databases",)),
    mutation(
        "anybody's bookmark removal removes everyone's",
        "matrix_social/db/bookmarks.py",
        '"DELETE FROM bookmark WHERE user_id = $1 AND post_id = $2"',
        '"DELETE FROM bookmark WHERE (user_id = $1 OR TRUE) AND post_id = $2"',
        ("tests/test_bookmarks.py",)),
    mutation(
        "the bookmark list shows everybody's bookmarks",
        "matrix_social/db/bookmarks.py",
        'f"ON p.event_id = b.post_id WHERE b.user_id = $1 {keyset} "',
        'f"ON p.event_id = b.post_id WHERE (b.user_id = $1 OR TRUE) {keyset} "',
        ("tests/test_bookmarks.py",)),
    mutation(
        "a link preview is asked for any scheme",
        "matrix_social/social/link_previews.py",
        '        if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):',
        '        if False:',
        ("tests/test_link_previews.py",)),
    mutation(
        "the AI's public conversations are announced while its owner shares nothing",
        "matrix_social/social/activity/ai.py",
        '                or not (await self.settings.get(owner))["share_ai_activity"]:',
        "                or False:",
        ("tests/test_activity_ai.py::"
         "test_ai_activity_in_its_feed_and_only_public_conversations_on_its_profile",)),
    mutation(
        "a like notifies its own author",
        "matrix_social/db/notifications.py",
        '"WHERE l.event_id = $1 AND p.author <> l.user_id"\n',
        '"WHERE l.event_id = $1"\n',
        ("tests/test_notifications_db.py::test_likes_reposts_and_follows_group_newest_actor_first",
         "tests/test_notifications.py::test_likes_comments_replies_reposts_and_follows_reach_the_author")),
    mutation(
        "a reply notifies the replied comment's author on any post",
        "matrix_social/db/notifications.py",
        '"JOIN comment t ON t.event_id = c.in_reply_to AND t.post_id = c.post_id "',
        '"JOIN comment t ON t.event_id = c.in_reply_to "',
        ("tests/test_notifications_db.py::test_nothing_is_derived_from_what_the_index_refused",)),
    mutation(
        "m.mentions alone names a user",
        "matrix_social/content/mentions.py",
        "    candidates: list[str] = []\n",
        '    candidates: list[str] = list((content.get("m.mentions") or {}).get("user_ids") '
        'or [])\n',
        ("tests/test_mentions_parse.py::test_only_users_named_in_the_text_count_and_at_most_ten",
         "tests/test_notifications.py::test_an_attacker_cannot_forge_a_notification")),
    mutation(
        "no cap on the users one event names",
        "matrix_social/content/mentions.py",
        "MAX_MENTIONS = 10\n",
        "MAX_MENTIONS = 10_000\n",
        ("tests/test_mentions_parse.py::test_only_users_named_in_the_text_count_and_at_most_ten",)),
    mutation(
        "a comment does not mention the people it answers",
        "matrix_social/social/mentions.py",
        "        also = [user for user in answers if user and user != author]\n",
        "        also = []\n",
        ("tests/test_mentions.py::test_comments_and_replies_notify_through_the_homeserver_s_push_rules",)),
    mutation(
        "the notification read position moves back",
        "matrix_social/db/notifications.py",
        '"WHERE excluded.up_to > notification_read.up_to", user_id, up_to)',
        '"", user_id, up_to)',
        ("tests/test_notifications_db.py::test_read_position_moves_forward_only_and_redactions_take_theirs_away",)),
    mutation(
        "a kept notification group is not recomputed when one of its rows goes",
        "matrix_social/db/upgrade/v27_notification_groups.py",
        '    "WHERE recipient = OLD.recipient AND group_key = OLD.group_key")\n',
        '    "WHERE 1 = 0")\n',
        ("tests/test_notification_groups_db.py::"
         "test_a_redaction_takes_its_row_out_of_its_kept_group",
         "tests/test_notification_groups_db.py::"
         "test_kept_groups_and_unread_equal_the_grouped_query")),
    mutation(
        "a kept notification group counts only its first actor",
        "matrix_social/db/upgrade/v27_notification_groups.py",
        '"AND n.group_key = NEW.group_key AND n.actor = NEW.actor AND n.id <> NEW.id)")',
        '"AND n.group_key = NEW.group_key)")',
        (_NOTE_GROUPS + "test_kept_groups_and_unread_equal_the_grouped_query",)),
    mutation(
        "a notification group whose newest row is by someone she mutes keeps its place",
        "matrix_social/db/notifications.py",
        '    f"CASE WHEN {_NEWEST_SEEN} THEN 1 ELSE 0 END, w.found + w.shown FROM walk w "',
        '    "1, w.found + w.shown FROM walk w "',
        (_NOTE_GROUPS + "test_a_group_whose_newest_rows_are_hidden_moves_down_to_its_visible_"
         "newest", _SAFE_NOTES + "test_nothing_from_whom_she_blocked_or_mutes")),
    mutation(
        "notifications: the page's window misses a group placed at the floor's time",
        "matrix_social/db/notifications.py",
        "    f\"AND n.ts >= (SELECT ts FROM floor) AND n.ts <= $3 AND {_seen('n.actor')}) \"",
        "    f\"AND n.ts > (SELECT ts FROM floor) AND n.ts <= $3 AND {_seen('n.actor')}) \"",
        (_NOTE_GROUPS + "test_a_group_whose_newest_row_is_hidden_takes_its_place_at_the_window_"
         "s_edges",)),
    mutation(
        "notifications: the page's window ends before the cursor's time",
        "matrix_social/db/notifications.py",
        "    f\"AND n.ts >= (SELECT ts FROM floor) AND n.ts <= $3 AND {_seen('n.actor')}) \"",
        "    f\"AND n.ts >= (SELECT ts FROM floor) AND n.ts < $3 AND {_seen('n.actor')}) \"",
        (_NOTE_GROUPS + "test_a_group_whose_newest_row_is_hidden_takes_its_place_at_the_window_"
         "s_edges",)),
    mutation(
        "notifications: a group's actors and their count include whom she blocked or mutes",
        "matrix_social/db/notifications.py",
        "        f\"WHERE recipient = $1 AND {_seen('notification.actor')} AND group_key IN "
        "({marks}) \"",
        "        f\"WHERE recipient = $1 AND CAST($2 AS BIGINT) > 0 AND group_key IN ({marks}) \"",
        (_NOTE_GROUPS + "test_kept_groups_and_unread_equal_the_grouped_query",)),
    mutation(
        "notifications: a page her words emptied looks at more groups than the old reads did",
        "matrix_social/social/notifications.py",
        "    return (REFILLS + 1) * (limit + 1)",
        "    return (REFILLS + 2) * (limit + 1)",
        (_NOTE_GROUPS + "test_a_page_her_words_empty_stops_where_the_old_reads_stopped",)),
    mutation(
        "notifications: the unread count does not stop at 100",
        "matrix_social/social/notifications.py",
        '            return {"count": await notes.unread_count(self.db, user, now, MAX_UNREAD)}',
        '            return {"count": await notes.unread_count(self.db, user, now)}',
        (_NOTE_GROUPS + "test_the_unread_count_stops_at_max_unread_and_words_are_looked_for_in_"
         "the_newest",)),
    mutation(
        "notifications: her words are looked for in every unread comment, not the newest 2,000",
        "matrix_social/social/notifications.py",
        "                    if worded <= MAX_WORDED_UNREAD and _holds(",
        "                    if _holds(",
        (_NOTE_GROUPS + "test_the_unread_count_stops_at_max_unread_and_words_are_looked_for_in_"
         "the_newest",)),
    mutation(
        "notifications: a mute that has ended still hides",
        "matrix_social/db/notifications.py",
        '            "AND (m.expires_at IS NULL OR m.expires_at > $2))")',
        '            "AND (m.expires_at IS NULL OR m.expires_at > -$2))")',
        (_SAFE_NOTES + "test_nothing_from_whom_she_blocked_or_mutes",
         _NOTE_GROUPS + "test_kept_groups_and_unread_equal_the_grouped_query")),
    mutation(
        "a stream ticket works more than once",
        "matrix_social/db/live.py",
        "DELETE FROM live_ticket WHERE ticket=$1 RETURNING user_id, expires_at",
        "SELECT user_id, expires_at FROM live_ticket WHERE ticket=$1",
        ("tests/test_live.py::test_tickets_are_single_use_and_the_token_never_goes_in_a_url",)),
    mutation(
        "a post newly put on screen waits for its next change to get counts (the in-page "
        "post's lost like)",
        "matrix_social/social/live.py",
        "            if new:\n                await self._counts_for(user, screen, new)\n",
        "            if False:\n                await self._counts_for(user, screen, new)\n",
        ("tests/test_live.py::test_an_unlike_a_redaction_from_a_matrix_client_and_a_deletion_are_pushed",)),
    mutation(
        "a redaction's removals (unlike, deleted post) are not told to the live streams",
        "matrix_social/matrix/ingest/rules.py",
        "        await w.removed(redacts, post, {p for p in (liked, commented) if p}, "
        "unnotified)\n",
        "",
        ("tests/test_live.py::test_an_unlike_a_redaction_from_a_matrix_client_and_a_deletion_are_pushed",)),
    mutation(
        "pushed counts keep the marks of people she blocked",
        "matrix_social/social/live.py",
        "        seen = await self._as_seen_by(counts, watchers)\n",
        "        seen = {}\n",
        ("tests/test_live.py::test_an_unlike_a_redaction_from_a_matrix_client_and_a_deletion_are_pushed",)),
    mutation(
        "a tab's watch concerns all her streams (another tab hears of its posts)",
        "matrix_social/social/live.py",
        "            if screen is not None and stream.screen != screen:\n",
        "            if False:\n",
        ("tests/test_live.py::test_an_unlike_a_redaction_from_a_matrix_client_and_a_deletion_are_pushed",)),
    mutation(
        "the bell stays up when an unlike takes its notification away",
        "matrix_social/social/live.py",
        "            await self._unread(written.unnotified)\n",
        "",
        ("tests/test_live.py::test_an_unlike_a_redaction_from_a_matrix_client_and_a_deletion_are_pushed",)),
    mutation(
        "the feed keeps a post the stream says was deleted",
        "matrix_social/web/js/feed.js",
        "  const onDeleted = (event) => { posts.remove(event.detail.post_id); watchShown(); };\n",
        "  const onDeleted = () => watchShown();\n",
        ("tests/test_web_live.py::test_a_like_arrives_on_the_author_s_screen_through_the_stream",)),
    mutation(
        "the post page ignores pushed counts",
        "matrix_social/web/js/postpage.js",
        "    if (!card || deleted || id !== shownId()) return;\n",
        "    return;\n",
        ("tests/test_web_live.py::test_a_like_arrives_on_the_author_s_screen_through_the_stream",)),
    mutation(
        "trending: likes crossing the window's edges are not recounted",
        "matrix_social/db/trending.py",
        '''f"WHERE ts >= {min(old_since, since)} AND ts < {max(old_since, since)} "''',
        '''f"WHERE ts >= {since} AND ts < {since} "''',
        (_TRENDING + "test_unlike_and_expiry_lower_the_score_and_nothing_changed_costs_nothing",
         _TRENDING + "test_kept_ranking_equals_a_count_from_scratch")),
    mutation(
        "trending: an unlike is not logged (PostgreSQL's trigger)",
        "matrix_social/db/upgrade/v30_trending_change_log.py",
        "            IF TG_OP <> 'INSERT' THEN\n",
        "            IF false THEN\n",
        (_TRENDING + "test_unlike_and_expiry_lower_the_score_and_nothing_changed_costs_nothing",)),
    mutation(
        "trending: an unlike is not logged (SQLite's trigger)",
        "matrix_social/db/upgrade/v30_trending_change_log.py",
        "AFTER DELETE ON {table} BEGIN {log('OLD', -1)} END",
        "AFTER DELETE ON {table} BEGIN SELECT 1; END",
        (_TRENDING + "test_unlike_and_expiry_lower_the_score_and_nothing_changed_costs_nothing",)),
    mutation(
        "trending: a second ❤️ by the same user counts twice in the kept score",
        "matrix_social/db/trending.py",
        '''users = "SUM(CASE WHEN n > 0 THEN 1 ELSE 0 END) - '''
        '''SUM(CASE WHEN o > 0 THEN 1 ELSE 0 END)"''',
        '''users = "SUM(n - o)"''',
        (_TRENDING + "test_unlike_and_expiry_lower_the_score_and_nothing_changed_costs_nothing",
         _TRENDING + "test_kept_ranking_equals_a_count_from_scratch")),
    mutation(
        "trending: the log read is kept (each refresh applies the same changes again)",
        "matrix_social/db/trending.py",
        '''        f"DELETE FROM {log}",\n''',
        "",
        (_TRENDING + "test_kept_ranking_equals_a_count_from_scratch", _DELTAS)),
    mutation(
        "trending: an unlike of a like already out of the window takes it off again",
        "matrix_social/db/trending.py",
        '''            f"WHERE ts >= {old_since} AND ts <= {old_end}")''',
        '''            "WHERE true")''',
        (_DELTAS,)),
    mutation(
        "trending: a deleted post stays in the ranking (its existence is not rechecked)",
        "matrix_social/db/trending.py",
        "    if r.ranked is not None:  # indexed or deleted since: its ts again\n",
        "    if False:  # indexed or deleted since: its ts again\n",
        (_DELTAS,)),
    mutation(
        "trending: the refresh runs at READ COMMITTED (a like committed between its read of "
        "the log and its delete is deleted uncounted)",
        "matrix_social/db/trending.py",
        '''"BEGIN ISOLATION LEVEL REPEATABLE READ",''',
        '''"BEGIN",''',
        (_TRENDING + "test_a_like_written_while_a_refresh_runs_is_counted_once",)),
    mutation(
        "trending: the stored ranking is rewritten whole at each refresh that changed a score",
        "matrix_social/db/trending.py",
        '''"WHERE t.event_id IS NULL OR t.trend <> b.trend OR t.ts <> b.ts "''',
        '''"WHERE true "''',
        (_TRENDING + "test_a_refresh_rewrites_only_the_ranking_s_rows_that_changed",)),
    mutation(
        "trending: a post whose score changed never comes back into the top",
        "matrix_social/db/trending.py",
        '''f"WHERE trend > 0 AND ts IS NOT NULL AND (trend, ts, {r.key}) >= "''',
        '''f"WHERE false AND (trend, ts, {r.key}) >= "''',
        (_TRENDING + "test_the_top_holds_every_post_that_can_rank",)),
    mutation(
        "trending: the top is not made again when it falls under the ranking's depth",
        "matrix_social/db/trending.py",
        "in_top < (depth or 0)",
        "in_top < 0",
        (_TRENDING + "test_the_top_holds_every_post_that_can_rank",)),
    mutation(
        "upgrades: the file of a reserved number is loaded as if it were not reserved",
        "matrix_social/db/upgrade/__init__.py",
        "    if arrived := reserved.intersection(numbers):\n",
        "    if arrived := set():\n",
        ("tests/test_upgrades.py::test_a_reserved_number_is_skipped_until_its_file_arrives",)),
    mutation(
        "trending tags (kept) count posts, not distinct authors",
        "matrix_social/db/trending.py",
        '''"tag", None, source_user="author")''',
        '''"tag", None, source_user="post_id")''',
        ("tests/test_tags.py::test_tag_pages_and_trends_on_both_databases",
         _TRENDING + "test_kept_ranking_equals_a_count_from_scratch")),
    mutation(
        "trending tags: post_tag keeps only its first trigger (SQLite: a tag gone is not "
        "logged; PostgreSQL: nothing is)",
        "matrix_social/db/upgrade/v30_trending_change_log.py",
        '''            prefix, table, key, user)''',
        '''            prefix, table, key, user)[:1] if table == "post_tag" else (
            _sqlite_triggers if scheme == Scheme.SQLITE else _postgres_triggers)(
            prefix, table, key, user)''',
        ("tests/test_tags.py::test_tag_pages_and_trends_on_both_databases",)),
    mutation(
        "search: the query's punctuation reaches the full-text syntax",
        "matrix_social/db/search.py",
        "    return _WORD.findall(query.lower())[:16]",
        "    return query.lower().split()[:16]",
        ("tests/test_search.py::test_full_text_syntax_in_a_query_is_data",)),
    mutation(
        "search: the cursor repeats the last post of the page",
        "matrix_social/db/search.py",
        '            keyset = "AND (p.ts, p.event_id) < ($3, $4)"',
        '            keyset = "AND (p.ts, p.event_id) <= ($3, $4)"',
        ("tests/test_search.py::test_the_cursor_walks_both_tiers_without_gap_or_repeat",)),
    mutation(
        "notifications: a like by someone she blocked or mutes is derived",
        "matrix_social/db/notifications.py",
        '    + _allowed("p.author", "l.user_id", "CAST($2 AS BIGINT)") + _IGNORE)',
        "    + _IGNORE)",
        (_SAFE_NOTES + "test_nothing_from_whom_she_blocked_or_mutes",)),
    Mutation(
        "notifications: lists and counts keep whom she blocked or mutes",
        (Edit("matrix_social/db/notifications.py",
              "    return (f\"NOT EXISTS (SELECT 1 FROM user_block b WHERE b.owner = $1 AND "
              "b.blocked = {actor}) \"\n",
              "    return (\"CAST($2 AS BIGINT) IS NOT NULL\"\n"),
         Edit("matrix_social/db/notifications.py",
              "            f\"AND {actor} NOT IN (SELECT m.muted FROM user_mute m WHERE "
              "m.owner = $1 \"\n            \"AND (m.expires_at IS NULL OR m.expires_at > $2))\")",
              "            )")),
        (_SAFE_NOTES + "test_nothing_from_whom_she_blocked_or_mutes",
         _NOTE_GROUPS + "test_kept_groups_and_unread_equal_the_grouped_query")),
    mutation(
        "a block keeps his earlier notifications (they come back at the unblock)",
        "matrix_social/social/blocks.py",
        "        await notifications_db.forget_actors(self.db, owner, targets)",
        "        pass",
        ("tests/test_safety_notifications.py::"
         "test_whom_she_blocked_or_muted_never_reaches_her_notifications",)),
    mutation(
        "muted words of context notifications are not applied",
        "matrix_social/social/notifications.py",
        "        return {key for key, texts in found.items() if _holds(words, texts)}",
        "        return set()",
        (_SAFE_NOTES + "test_muted_words_hide_comments_replies_and_mentions_from_her_"
         "notifications",)),
    mutation(
        "the live stream pushes notifications she is not shown",
        "matrix_social/social/notifications.py",
        '            if any(row["group_key"] not in hidden for row in mine):',
        "            if mine:",
        (_SAFE_NOTES + "test_the_live_stream_pushes_nothing_she_would_not_be_shown",)),
    mutation(
        "our service names her in m.mentions of a comment by someone she blocked",
        "matrix_social/social/mentions.py",
        "        named = {token: user for token, user in named.items() if user not in refusing}",
        "        named = dict(named)",
        ("tests/test_safety_notifications.py::"
         "test_whom_she_blocked_or_muted_never_reaches_her_notifications",)),
    mutation(
        "ai_answer notifies her of her AI's answers in DMs too",
        "matrix_social/social/ai_conversations.py",
        "        if public and owner is not None and asker and answer_id",
        "        if owner is not None and asker and answer_id",
        ("tests/test_safety_notifications.py::"
         "test_her_ai_answering_others_in_public_notifies_her",)),
    mutation(
        "an ai_answer notification is not pushed on the live stream",
        "matrix_social/social/ai_conversations.py",
        "                self.changes.publish(Written(notifying_events=[answer_id]))",
        "                pass",
        ("tests/test_safety_notifications.py::"
         "test_her_ai_answering_others_in_public_notifies_her",)),
    mutation(
        "a stop leaves open live streams waiting for their keep-alive",
        "matrix_social/bridge.py",
        "        self.services.live.end_all()\n",
        "",
        ("tests/test_live.py::"
         "test_a_stop_ends_open_streams_instead_of_waiting_for_their_keep_alive",)),
    mutation(
        "a late member event undoes a newer display name",
        "matrix_social/db/profiles.py",
        '"WHERE profile.member_ts IS NULL OR profile.member_ts <= excluded.member_ts"',
        '"WHERE 1 = 1"',
        ("tests/test_index_rules.py::"
         "test_a_profile_event_delivered_late_never_undoes_a_newer_one",)),
    mutation(
        "a late profile state event undoes a newer bio and banner (also one it raced)",
        "matrix_social/db/profiles.py",
        '        "WHERE profile.details_ts IS NULL OR profile.details_ts <= excluded.details_ts "\n'
        '        "RETURNING 1",\n',
        '        "RETURNING 1",\n',
        ("tests/test_index_rules.py::"
         "test_a_profile_event_delivered_late_never_undoes_a_newer_one",
         "tests/test_profile_details_order.py")),
    mutation(
        "replicas: index changes are not told to the other processes (no NOTIFY)",
        "matrix_social/matrix/ingest/changes.py",
        "                self.broadcast.tell_soon(KIND, data)",
        "                pass",
        (_REPLICAS_TEST,)),
    mutation(
        "replicas: an AI's answer is not passed to the replica whose request waits for it",
        "matrix_social/ai/ai_to_ai.py",
        "            self._tell_others(raw)\n",
        "            pass\n",
        (_REPLICAS_TEST,)),
    mutation(
        "replicas: the posts on screen stay in the process told (not in the database)",
        "matrix_social/social/live.py",
        "        await live_db.set_watched(self.db, user, screens)\n",
        "",
        (_REPLICAS_TEST,)),
    mutation(
        "replicas: after a lost LISTEN connection the caches keep what they held",
        "matrix_social/db/notify.py",
        '            log.info("LISTEN connection back: dropping what the caches held")\n'
        "            self.on_gap()\n",
        '            log.info("LISTEN connection back: dropping what the caches held")\n',
        ("tests/test_broadcast.py::test_what_one_process_tells_reaches_the_others_only",)),
    mutation(
        "a cross-post status reaches the screens only at the next poll (not pushed)",
        "matrix_social/external/delivery.py",
        "                self.changes.publish(Written(new_posts=[(found[0], post_event_id, "
        "found[1])]))\n",
        "                pass\n",
        ("tests/test_web_settings.py::"
         "test_connect_share_defaults_compose_preview_publish_and_disconnect",)),
    mutation(
        "a room key discarded before use is not shared again (the send fails)",
        "matrix_social/matrix/encryption.py",
        "ENCRYPT_ATTEMPTS = 3\n",
        "ENCRYPT_ATTEMPTS = 1\n",
        ("tests/test_encryption.py::"
         "test_a_room_key_discarded_between_sharing_and_encrypting_is_shared_again",)),
    mutation(
        "dark mode's secondary text loses its contrast (axe, even with its one re-check)",
        "matrix_social/web/app.css",
        "  --text-2: light-dark(#566370, #9aa4b2);\n",
        "  --text-2: light-dark(#566370, #2a2f38);\n",
        ("tests/test_web_safety.py::test_report_mute_block_and_settings_from_the_app",)),
    mutation(
        "the first sign-in of an account made elsewhere skips the welcome steps",
        "matrix_social/web/js/welcome.js",
        "    return !(await homeserver(ctx, \"GET\")).ok;\n",
        "    return false;\n",
        ("tests/test_web_signup.py::test_the_first_sign_in_of_an_account_made_elsewhere_starts_"
         "with_the_welcome_steps",)),
    mutation(
        "a first message to someone with no device yet is sent at once (never readable by her)",
        "matrix_social/web/js/held-messages.js",
        "  return others.filter((id) => !(devices.get(id)?.size > 0));",
        "  return [];",
        ("tests/test_web_messages.py::test_a_first_message_to_someone_who_never_opened_messages_"
         "waits_until_she_can_read_it",)),
    mutation(
        "the conversation is drawn anew on every sync, receipt and typing change (a click on "
        "a Download button being replaced is swallowed)",
        "matrix_social/web/js/messages.js",
        "    if (known && known.looks === looks) return known.item;\n",
        "",
        ("tests/test_web_messages.py::test_images_files_and_app_links_in_an_encrypted_dm_never_"
         "labelled_unencrypted",)),
    mutation(
        "a held message is never sent once she has a device",
        "matrix_social/web/js/held-messages.js",
        "        await client.sendMessage(message.roomId, message.content, message.id);\n",
        "        continue;\n",
        ("tests/test_web_messages.py::test_a_first_message_to_someone_who_never_opened_messages_"
         "waits_until_she_can_read_it",)),
    mutation(
        "a message to an AI goes before the bot that reads for it has joined (its key is lost)",
        "matrix_social/web/js/messages.js",
        "        await untilAnAiCanRead();\n",
        "",
        ("tests/test_web_app.py::test_encrypted_dm_between_browsers_and_ai_answer",)),
    mutation(
        "the composer's × leaves the file chosen (its chip stays, Send would send it)",
        "matrix_social/web/js/messages.js",
        "    function clearAttachment() {\n      file.value = \"\";\n",
        "    function clearAttachment() {\n",
        ("tests/test_web_messages.py::test_images_files_and_app_links_in_an_encrypted_dm_never_"
         "labelled_unencrypted",)),
    mutation(
        "Send is offered while there is nothing to send",
        "matrix_social/web/js/messages.js",
        "      send.disabled = !text.value.trim() && !file.files.length;\n",
        "      send.disabled = false;\n",
        ("tests/test_web_messages.py::test_images_files_and_app_links_in_an_encrypted_dm_never_"
         "labelled_unencrypted",)),
    mutation(
        "a sent message empties the composer of what she wrote while it was on its way",
        "matrix_social/web/js/messages.js",
        "        if (text.value.trim() === body) text.value = \"\";\n",
        "        text.value = \"\";\n",
        ("tests/test_web_messages.py::test_images_files_and_app_links_in_an_encrypted_dm_never_"
         "labelled_unencrypted",)),
    mutation(
        "a pasted image is not attached in Messages",
        "matrix_social/web/js/messages.js",
        "      const pasted = event.clipboardData && event.clipboardData.files[0];\n",
        "      const pasted = null;\n",
        (_PASTE_DROP,)),
    mutation(
        "a file dropped on the Messages bar is not attached",
        "matrix_social/web/js/messages.js",
        "    acceptDroppedFiles(form, (files) => choose(files[0]));\n",
        "",
        (_PASTE_DROP,)),
    mutation(
        "on a phone an open conversation keeps the app's top bar over its own head",
        "matrix_social/web/app.css",
        ('  body[data-section="messages"]:has(.messages-layout.in-room) .app-header '
         "{ display: none; }\n"),
        "",
        (_PASTE_DROP,)),
    mutation(
        "a conversation not on her list has no way back (on a phone, no way out at all)",
        "matrix_social/web/js/messages.js",
        '      fill(roomPane, h("div", { class: "room-head" }, back,\n',
        '      fill(roomPane, h("div", { class: "room-head" },\n',
        (_PASTE_DROP,)),
    mutation(
        "the conversation's head has no picture",
        "matrix_social/web/js/messages.js",
        "    fill(face, avatar(ctx, person, 40));\n",
        "",
        (_PASTE_DROP,)),
    mutation(
        "the sign-up form asks no invite token where the homeserver requires one",
        "matrix_social/web/js/signup.js",
        '    stages.includes("m.login.registration_token")\n      ? field("Invite token"',
        '    false\n      ? field("Invite token"',
        (_TOKEN_SIGNUP,)),
    mutation(
        "the invite token is never sent with the registration",
        "matrix_social/web/js/signup.js",
        '      if (stage === "m.login.registration_token") auth = { type: stage, token, session };',
        '      if (stage === "m.login.registration_token") auth = { type: stage, session };',
        (_TOKEN_SIGNUP,)),
    mutation(
        "a wrong invite token is not checked before the account is asked for",
        "matrix_social/web/js/signup.js",
        "    return answer.valid !== false;\n",
        "    return true;\n",
        (_TOKEN_SIGNUP,)),
    mutation(
        "the registration's refusal of a token is shown in the homeserver's words only",
        "matrix_social/web/js/signup.js",
        "  const error = new Error(words || uia.error ||",
        "  const error = new Error(uia.error || words ||",
        (_TOKEN_SIGNUP,)),
    mutation(
        "the homeserver's robot check page is never opened (the stage is sent as if done)",
        "matrix_social/web/js/signup.js",
        "        await onFallback(fallbackUrl(base, stage, session));\n",
        "",
        (_CAPTCHA_SIGNUP,)),
    mutation(
        "a robot check left unfinished is said in the homeserver's words (or none)",
        "matrix_social/web/js/signup.js",
        '    "m.login.recaptcha": "The server did not see the robot check finished',
        '    "m.login.recaptcha-unused": "The server did not see the robot check finished',
        (_CAPTCHA_SIGNUP,)),
    mutation(
        "at 700-1259 px (icons only) the brand link has no name",
        "matrix_social/web/app.css",
        "  .brand-name { position: absolute; width: 1px; height: 1px; overflow: hidden; "
        "clip: rect(0 0 0 0); white-space: nowrap; }\n",
        "  .brand-name { display: none; }\n",
        (_TABLET,)),
    mutation(
        "below 1100 px an open conversation keeps the column's head over its own",
        "matrix_social/web/app.css",
        '  body[data-section="messages"]:has(.messages-layout.in-room) .section-messages > '
        ".column-head { display: none; }\n",
        "",
        (_TABLET,)),
    mutation(
        "the right column is drawn below 1100 px, squeezed beside the timeline",
        "matrix_social/web/app.css",
        "@media (max-width: 1099px) { .right-col { display: none; } }\n",
        "",
        (_TABLET,)),
    mutation(
        "dark secondary text loses its contrast: the dark pass checking colour rules only "
        "still sees it",
        "matrix_social/web/app.css",
        "  --text-2: light-dark(#566370, #9aa4b2);\n",
        "  --text-2: light-dark(#566370, #2a2f38);\n",
        ("tests/test_web_signup.py",)),
    mutation(
        "feed rooms made before MSC4501 support are never back-filled at start",
        "matrix_social/bridge.py",
        "        self.services.background.spawn(self.services.msc4501_backfill.run())\n",
        "",
        ("tests/test_msc4501.py::test_a_feed_room_made_before_msc4501_support_names_its_owner_"
         "after_a_restart",)),
    mutation(
        "the back-fill marks a room checked without writing its claim",
        "matrix_social/matrix/msc4501_backfill.py",
        "        if named is None:\n            await self.bot.api.request(",
        "        if named is None and False:\n            await self.bot.api.request(",
        ("tests/test_msc4501.py::test_a_feed_room_made_before_msc4501_support_names_its_owner_"
         "after_a_restart",)),
    mutation(
        "X home timeline: a protected account's posts come in",
        "matrix_social/external/platforms/x.py",
        '        if not author or author.get("protected") is not False:\n',
        "        if not author:\n",
        ("tests/platforms/test_x.py::test_home_timeline_brings_others_public_posts_never_a_"
         "protected_accounts",)),
    mutation(
        "X home timeline outside the access level breaks her login",
        "matrix_social/external/platforms/x.py",
        "        tweets, users, media, hints = await self._call(token, read, "
        "access_level_ok=True)\n",
        "        tweets, users, media, hints = await self._call(token, read)\n",
        ("tests/platforms/test_x.py::test_home_timeline_outside_the_apps_access_level_is_"
         "refused_not_a_broken_login",
         "tests/test_home_timeline.py::test_her_x_following_timeline_then_an_access_level_"
         "without_it")),
    mutation(
        "a refused home timeline stays on and is asked again every poll, she is not told",
        "matrix_social/external/poller.py",
        "            await connections.set_home_timeline(self.db, row.user_id, row.platform, "
        "False)\n",
        "",
        ("tests/test_home_timeline.py::test_her_x_following_timeline_then_an_access_level_"
         "without_it",)),
    mutation(
        "a homeserver that dropped our request is an anonymous 500",
        "matrix_social/api/errors.py",
        "    except aiohttp.ClientError as e:  # the homeserver dropped or timed out a request "
        "of ours\n",
        "    except () as e:\n",
        ("tests/test_api_errors.py",)),
    mutation(
        "a policy rule counts from any room (the subscribed-room check gone)",
        "matrix_social/matrix/policy_lists.py",
        '        if raw.get("room_id") not in self.room_ids:\n',
        "        if False:\n",
        (_POLICY + "test_a_policy_room_bars_by_glob_and_server_and_nobody_else_can_write_one",)),
    Mutation(
        "a policy glob matches a prefix of the user id (not the whole of it)",
        (Edit("matrix_social/matrix/policy_globs.py",
              "        if combined is None or not combined.fullmatch(value):\n",
              "        if combined is None or not combined.match(value):\n"),
         Edit("matrix_social/matrix/policy_globs.py",
              "                     if glob_regex(rule.entity).fullmatch(value)), None)\n",
              "                     if glob_regex(rule.entity).match(value)), None)\n")),
        (_POLICY_GLOBS + "test_user_globs",)),
    mutation(
        "a policy glob's other characters are regular expressions (a dot matches anything)",
        "matrix_social/matrix/policy_globs.py",
        ' else re.escape(c) for c in entity]',
        ' else c for c in entity]',
        (_POLICY_GLOBS + "test_user_globs",)),
    mutation(
        "a server rule is matched against the whole user id",
        "matrix_social/matrix/policy_globs.py",
        "            found = self._find(SERVER, server)\n",
        "            found = self._find(SERVER, user_id)\n",
        (_POLICY_GLOBS + "test_server_globs_match_the_server_part",)),
    mutation(
        "the API lets a user the policy lists bar act",
        "matrix_social/social/block_list.py",
        "        bar = await self.bars.barred(user, what) if self.bars is not None else None\n",
        "        bar = None\n",
        (_POLICY + "test_a_policy_room_bars_by_glob_and_server_and_nobody_else_can_write_one",)),
    mutation(
        "the index takes a barred user's comments from a plain client",
        "matrix_social/matrix/ingest/rules.py",
        "            if await self._barred(sender, f\"comment in {raw['room_id']} (indexed)\"):\n",
        "            if False:\n",
        (_POLICY + "test_a_policy_room_bars_by_glob_and_server_and_nobody_else_can_write_one",)),
    mutation(
        "the policy lists' operator view answers anybody",
        "matrix_social/api/routes_moderation.py",
        "        await self._admin(request, user)\n"
        "        return await self.moderation.policies()\n",
        "        return await self.moderation.policies()\n",
        (_POLICY + "test_a_policy_room_bars_by_glob_and_server_and_nobody_else_can_write_one",)),
    mutation(
        "a removed policy rule stays in force",
        "matrix_social/matrix/policy_lists.py",
        "            await policy_rules.remove(db, raw[\"room_id\"], raw[\"type\"], "
        "raw[\"state_key\"])\n",
        "            pass\n",
        (_POLICY + "test_a_policy_room_bars_by_glob_and_server_and_nobody_else_can_write_one",)),
    mutation(
        "a suspension bars nobody (the one place that answers forgets suspensions)",
        "matrix_social/matrix/bars.py",
        "        found = self.suspended.get(user_id)\n",
        "        found = None\n",
        (_SUSPENDED_RULES, _REMOTE_SUSPENSION)),
    mutation(
        "the index takes a barred user's repost",
        "matrix_social/matrix/ingest/rules.py",
        "        if await self._barred(sender, f\"repost {claimed_original} (indexed)\"):\n",
        "        if False:\n",
        (_SUSPENDED_RULES,)),
    mutation(
        "a barred user's posts keep their hashtags and mentions",
        "matrix_social/matrix/ingest/rules.py",
        "                    and await self._barred(sender, \"mention anybody or tag a post "
        "(indexed)\"):\n",
        "                    and False:\n",
        (_SUSPENDED_RULES, _REMOTE_SUSPENSION)),
    mutation(
        "a reindex replays without the bars",
        "matrix_social/matrix/ingest/rules.py",
        "        return IndexRules(self.ids, owners, self.bot, bars=bars)\n",
        "        return IndexRules(self.ids, owners, self.bot)\n",
        (_SUSPENDED_RULES,)),
    mutation(
        "a suspension kicks him from no feed room (his follows stand in Matrix)",
        "matrix_social/social/moderation.py",
        "                await self.intents.bot.kick_user(RoomID(room_id), UserID(target), "
        "KICK_REASON)\n",
        "                pass\n",
        (_SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "a suspension leaves his likes in the index (and in every count)",
        "matrix_social/db/moderation.py",
        '        "likes": await gone("DELETE FROM post_like WHERE user_id=$1 RETURNING '
        'event_id"),\n',
        '        "likes": await gone("SELECT event_id FROM post_like WHERE user_id=$1"),\n',
        (_COUNTS_SUSPENDED, _SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "a suspension leaves his comments in the index (threads and counts)",
        "matrix_social/db/moderation.py",
        '        "comments": await gone("DELETE FROM comment WHERE author=$1 RETURNING '
        'event_id"),\n',
        '        "comments": await gone("SELECT event_id FROM comment WHERE author=$1"),\n',
        (_COUNTS_SUSPENDED, _SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "a suspension leaves the notifications he gave",
        "matrix_social/db/moderation.py",
        '        "notifications": await gone("DELETE FROM notification WHERE actor=$1 RETURNING '
        'id"),\n',
        '        "notifications": await gone("SELECT id FROM notification WHERE actor=$1"),\n',
        (_SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "no second sweep after a suspension (what another process indexed meanwhile stays)",
        "matrix_social/social/moderation.py",
        "        self._sweep_later(target)\n",
        "",
        (_SUSPENSION_SWEEP,)),
    mutation(
        "an unsuspension is not told (the bars' cache keeps him barred)",
        "matrix_social/social/moderation.py",
        "            raise NotFound(f\"{target} is not suspended\")\n"
        "        await self.bars.changed()\n",
        "            raise NotFound(f\"{target} is not suspended\")\n",
        (_SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "an unsuspension gives no hashtags back",
        "matrix_social/social/moderation.py",
        "        await in_transaction(self.db, post_tags.put_back, rows)\n",
        "",
        (_SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "any text is suspended as a user id",
        "matrix_social/social/moderation.py",
        "        if not isinstance(value, str) or self.ids.split(value) is None:\n",
        "        if not isinstance(value, str):\n",
        (_SUSPENSION_SWEEP, _REMOTE_SUSPENSION)),
    mutation(
        "anybody suspends through the API",
        "matrix_social/api/routes_moderation.py",
        "        await self._admin(request, user)\n"
        "        body = await json_object(request)\n"
        "        return await self.moderation.suspend(",
        "        body = await json_object(request)\n"
        "        return await self.moderation.suspend(",
        (_REMOTE_SUSPENSION,)),
    mutation(
        "search shows the apps of whom she does not see",
        "matrix_social/social/explore.py",
        "        page[\"items\"] = [a for a in page[\"items\"] if a[\"author\"][\"user_id\"] "
        "not in hidden]\n",
        "",
        (_REMOTE_SUSPENSION,)),
    mutation(
        "a suspended local user's refusal says nothing of the suspension",
        "matrix_social/social/block_list.py",
        "        if isinstance(bar, Suspension):\n",
        "        if False:\n",
        (_MODERATION + "test_a_suspended_feed_is_read_only_and_hidden_from_search",)),
    mutation(
        "the web app offers no Suspend for a user of another server",
        "matrix_social/web/js/moderation.js",
        "      t.user && !t.suspended ? h(\"button\"",
        "      t.user && local(t.user) && !t.suspended ? h(\"button\"",
        (_WEB_REMOTE_SUSPENSION,)),
    mutation(
        "a late copy of an older topic is mirrored into the bio",
        "matrix_social/matrix/bio_topic.py",
        "        if own.get(key, \"\") != content.get(key, \"\"):\n",
        "        if False:\n",
        ("tests/test_trust.py::test_a_late_copy_of_an_older_topic_or_bio_changes_nothing",)),
    mutation(
        "refused transactions wait out Synapse's backoff (no ping)",
        "matrix_social/matrix/delivery_recovery.py",
        "        self._task = asyncio.create_task(self._ping_until_delivered())\n",
        "        self._task = None\n",
        ("tests/test_delivery_recovery.py::"
         "test_refused_transactions_are_asked_for_again_once_the_cause_is_gone",)),
    mutation(
        "the encryption route gives transactions up for good after a long replay",
        "matrix_social/matrix/e2be_route.py",
        "                    await self._probe_until_delivered()\n",
        "                    pass\n",
        ("tests/test_capabilities.py::"
         "test_transactions_are_taken_up_again_when_a_long_replay_outlasts_the_check",)),
    mutation(
        "a late first join lifts the fence for the leave behind it",
        "matrix_social/matrix/ingest/follow_fence.py",
        "        ours.popleft()\n        if ours:\n            return False\n",
        "        ours.clear()\n",
        ("tests/test_guarded_behaviours.py::"
         "test_a_follow_taken_back_and_made_again_while_its_events_are_late_holds",
         "tests/test_guarded_behaviours.py::"
         "test_an_old_leave_arriving_after_a_refollow_does_not_undo_it")),
    mutation(
        "a reaction timing out on one event fails its transaction forever",
        "matrix_social/matrix/dispatch.py",
        "        if is_transient(error) and self._attempt(event_id) < MAX_REACTION_ATTEMPTS:\n",
        "        if is_transient(error):\n",
        ("tests/test_delivery_recovery.py::"
         "test_a_reaction_that_times_out_every_time_does_not_hold_up_the_stream",)),
    mutation(
        "the topic we mirrored is mirrored back",
        "matrix_social/matrix/bio_topic.py",
        "                or ev.MIRRORED_FROM in content:\n",
        "                or False:\n",
        ("tests/test_trust.py::"
         "test_a_late_copy_of_the_topic_we_mirrored_does_not_undo_a_newer_bio",)),
    mutation(
        "an older topic is mirrored over a newer bio",
        "matrix_social/matrix/bio_topic.py",
        "        if isinstance(ts, int) and other_ts is not None and other_ts > ts:\n",
        "        if False:\n",
        ("tests/test_trust.py::test_the_owners_topic_and_bio_follow_each_other_without_echo",
         "tests/test_trust.py::test_an_element_topic_handled_after_a_newer_bio_does_not_win")),
    mutation(
        "one listener's bug keeps the event from the listeners after it",
        "matrix_social/matrix/dispatch.py",
        "                if any(listener is kept for kept in self.essential):\n",
        "                if True:\n",
        ("tests/test_delivery_recovery.py::"
         "test_a_listener_that_fails_for_good_does_not_keep_the_event_from_the_others",)),
    mutation(
        "the index's transient failures are given up after a few tries (events lost)",
        "matrix_social/matrix/dispatch.py",
        "                if any(listener is kept for kept in self.essential):\n",
        "                if False:\n",
        ("tests/test_delivery_recovery.py::"
         "test_a_listener_that_fails_for_good_does_not_keep_the_event_from_the_others",)),
    mutation(
        "her post's permalink opens for whom she blocked",
        "matrix_social/social/feed.py",
        "        if await self.blocks.has_blocked(view[\"author\"][\"user_id\"], viewer):\n",
        "        if False:\n",
        ("tests/test_blocks.py::"
         "test_a_blocked_local_user_leaves_her_views_and_reaches_her_by_no_path",)),
    mutation(
        "the AI responder trusts a message's content to be an object",
        "matrix_social/ai/responder.py",
        "        content = _object(raw.get(\"content\"))  "
        "# anyone's client may send any JSON here\n",
        "        content = raw.get(\"content\") or {}\n",
        ("tests/test_social_posts.py::"
         "test_the_ai_responder_takes_malformed_content_without_failing",)),
    mutation(
        "the composer stays editable while a post is sent (the reset wipes what she typed)",
        "matrix_social/web/js/compose.js",
        "    for (const field of [text, cwInput, appName, appDescription, appUrl]) "
        "field.readOnly = on;\n",
        "\n",
        ("tests/test_web_app.py::test_image_app_share_repost_edit_and_delete",)),
    mutation(
        "the conversation list never asks for sliding sync (every first page waits for /sync)",
        "matrix_social/matrix/room_list.py",
        "        end = min(start + 2 * wanted, MAX_WINDOW)\n        while not self.unsupported:\n",
        "        end = min(start + 2 * wanted, MAX_WINDOW)\n        while False:\n",
        ("tests/test_messaging.py::test_conversations_page_by_cursor_newest_activity_first",)),
    mutation(
        "a sliding sync page ignores the cursor (the first rooms again)",
        "matrix_social/matrix/room_list.py",
        "                     and (position is None or (r.recency, r.room_id) < position)]\n",
        "                     ]\n",
        ("tests/test_messaging.py::test_conversations_page_by_cursor_newest_activity_first",)),
    mutation(
        "a later conversation page trusts where the last one ended though rooms above it left",
        "matrix_social/matrix/room_list.py",
        "            if start > 0 and not any((r.recency, r.room_id) >= position"
        " for r in rooms):\n",
        "            if False:\n",
        ("tests/test_messaging.py::"
         "test_deep_conversation_pages_skip_nothing_when_rooms_move_or_are_left",)),
    mutation(
        "a later conversation page looks from the top again (a window as deep as the pages)",
        "matrix_social/matrix/room_list.py",
        "        start = max(0, min(seen, MAX_WINDOW) - wanted) if position is not None else 0\n",
        "        start = 0\n",
        ("tests/test_messaging.py::"
         "test_deep_conversation_pages_skip_nothing_when_rooms_move_or_are_left",)),
    mutation(
        "following a private room one is not invited to says 'try again later' (502)",
        "matrix_social/matrix/group_rooms.py",
        "        if last.http_status == 403:  # a private room: the homeserver said no, "
        "not \"later\"\n",
        "        if False:\n",
        ("tests/test_security.py::test_mallory_cannot_act_for_alice_on_any_route",)),
    mutation(
        "a user of another server is shown as @@bob:server (an @ before his whole ID)",
        "matrix_social/web/js/text.js",
        '  return String(handle || "").startsWith("@") ? handle : `@${handle}`;\n',
        "  return `@${handle}`;\n",
        ("tests/test_web_groups.py::test_a_requested_follow_says_requested_on_the_profile",)),
    mutation(
        "a reindex stops at a followed room its bot cannot join (a knock-only profile room)",
        "matrix_social/matrix/reindex.py",
        "            except (MatrixRequestError, IntentError, TimeoutError) as e:\n",
        "            except (MatrixRequestError, TimeoutError) as e:\n",
        (_GROUPS + "test_a_knock_only_profile_room_on_another_server_is_requested_then_"
         "followed",)),
    mutation(
        "Messages shows nothing of the conversations until the SDK's first sync ends",
        "matrix_social/web/js/messages.js",
        "  if (early) container.append(early.el);\n",
        "\n",
        ("tests/test_web_messages.py::test_the_conversations_show_before_the_first_sync_ends",)),
    # --- MSC4501 groups and knocks (tests/test_msc4501_groups.py) ---------------------------
    mutation(
        "in a group only an owner's top-level messages are posts (there is none)",
        "matrix_social/matrix/feed_owners.py",
        "        return self.group or sender == self.owner\n",
        "        return sender == self.owner\n",
        (_GROUP_FOLLOWED,)),
    mutation(
        "in a feed room anybody's top-level message is a post (as in a group)",
        "matrix_social/matrix/feed_owners.py",
        "        return self.group or sender == self.owner\n",
        "        return True\n",
        ("tests/test_index_rules.py::"
         "test_a_top_level_message_by_anyone_but_the_owner_is_not_a_post",)),
    Mutation(
        "a room of any type is followed as a group",
        (Edit("matrix_social/social/room_follows.py",
              "        if summary is not None and summary.room_type != ev.SOCIAL_GROUP_ROOM_TYPE:",
              "        if False:"),
         Edit("matrix_social/matrix/group_rooms.py",
              "        if kind != ev.SOCIAL_GROUP_ROOM_TYPE or await self.owners.feed_of(room_id):",
              "        if await self.owners.feed_of(room_id):")),
        (_GROUPS + "test_a_group_cannot_pose_as_anybodys_feed_or_profile",)),
    mutation(
        "a feed room is recorded as a group",
        "matrix_social/matrix/feed_owners.py",
        "        if await self.feed_of(room_id) is not None:\n"
        "            raise UntrustedEvent(f\"{room_id} is a feed room, not a group\")\n",
        "",
        ("tests/test_msc4501_groups.py::test_a_room_is_a_feed_or_a_group_never_both",)),
    mutation(
        "a post in a group is shown without its group",
        "matrix_social/social/views.py",
        "    if group_name is not None:",
        "    if False:",
        (_GROUP_FOLLOWED,)),
    mutation(
        "an invite nobody asked for is accepted as a follow",
        "matrix_social/matrix/knock_answers.py",
        "        if request is None or request[\"state\"] != follow_requests.PENDING:\n"
        "            return\n",
        "        if request is None and membership == \"invite\":\n"
        "            request = {\"kind\": \"group\", \"via\": \"\", \"state\": \"pending\"}\n"
        "        elif request is None or request[\"state\"] != follow_requests.PENDING:\n"
        "            return\n",
        (_KNOCK_UNANSWERED,)),
    mutation(
        "a refused knock stays pending",
        "matrix_social/matrix/knock_answers.py",
        "            await follow_requests.refuse(\n",
        "            0 and await follow_requests.refuse(\n",
        (_GROUPS + "test_following_a_knock_only_group_is_pending_until_its_admin_invites",)),
    mutation(
        "unfollowing a pending follow leaves the knock in place",
        "matrix_social/social/room_follows.py",
        "        if request is not None or following:\n",
        "        if following:\n",
        (_KNOCK_UNANSWERED,)),
    mutation(
        "a knock-only room is joined without asking (the follow is never pending)",
        "matrix_social/social/room_follows.py",
        "        if summary is not None and summary.asks_to_knock:\n",
        "        if False:\n",
        (_KNOCK_UNANSWERED,)),
    mutation(
        "a knock-only profile room is taken as its owner's without the two-way check",
        "matrix_social/matrix/remote_feeds.py",
        "        problem = msc4501.ownership_problem(state, owner) or await self._not_named(owner, "
        "room_id)\n",
        "        problem = None\n",
        (_GROUPS + "test_a_knock_only_room_naming_somebody_else_is_refused_once_let_in",)),
    mutation(
        "following a knock-only profile room joins nobody and asks nothing (falls back to the "
        "alias)",
        "matrix_social/matrix/remote_feeds.py",
        "        if summary is not None and summary.asks_to_knock \\\n",
        "        if False \\\n",
        (_GROUPS + "test_a_knock_only_profile_room_on_another_server_is_requested_then_followed",)),
    mutation(
        "in a group anybody's redaction takes a post out",
        "matrix_social/matrix/ingest/rules.py",
        "            feed.group and await w.read(group_rooms.is_moderator, room_id, sender))\n",
        "            feed.group)\n",
        ("tests/test_index_rules.py::test_in_a_group_every_member_posts_only_moderators_"
         "redact_others_and_nobody_owns_it",)),
    mutation(
        "in a group a moderator's redaction of another's post is not applied",
        "matrix_social/matrix/ingest/rules.py",
        "            feed.group and await w.read(group_rooms.is_moderator, room_id, sender))\n",
        "            False)\n",
        (_GROUPS + "test_a_groups_moderator_takes_a_post_out_and_a_member_cannot",)),
]


def check_targets(mutations: list[Mutation]) -> None:
    """Every mutation's text occurs exactly once in the real tree, or nothing runs."""
    stale = []
    for m in mutations:
        for edit in m.edits:
            path = ROOT / edit.file
            found = path.read_text().count(edit.old) if path.exists() else 0
            if found != 1:
                stale.append(f"  {m.name}: the text to change occurs {found} times in "
                             f"{edit.file}")
    if stale:
        sys.exit("mutation list out of date (update tests/mutations.py):\n" + "\n".join(stale))


def copy_tree(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def env_for(copy: Path) -> dict[str, str]:
    """The copy's package first on the path, for pytest and for the processes it starts."""
    path = os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def check_imports_from(copy: Path) -> None:
    out = subprocess.run([sys.executable, "-c", "import matrix_social; "
                          "print(matrix_social.__file__)"], cwd=copy, env=env_for(copy),
                         capture_output=True, text=True, check=True).stdout.strip()
    if not out.startswith(str(copy)):
        sys.exit(f"the copy would not be what is tested: matrix_social comes from {out}")


def kill_leftovers(marker: str) -> None:
    """Processes the run started (Synapse, the bridge) still running from the scratch copy."""
    for pid_dir in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and int(pid_dir.name) != os.getpid():
            with contextlib.suppress(OSError):
                os.kill(int(pid_dir.name), signal.SIGKILL)


@dataclass
class Result:
    outcome: str  # passed, failed, error, timeout
    failed: list[str]
    seconds: float
    log: Path


def run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> Result:
    log = copy / "pytest.log"
    basetemp = copy / ".pytest-tmp"
    started = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", *tests, "-x", "-q", "-p", "no:cacheprovider",
             "--basetemp", str(basetemp)],
            cwd=copy, env=env_for(copy), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # pytest tears its fixtures down
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            rc = None
    kill_leftovers(f"{copy}/")
    seconds = time.monotonic() - started
    text = log.read_text(errors="replace")
    failed = re.findall(r"^FAILED (\S+)", text, re.MULTILINE)
    if rc is None:
        return Result("timeout", failed, seconds, log)
    if rc == 0:
        return Result("passed", [], seconds, log)
    if rc in (1, 2) and failed:  # 2: with xdist, -x ends the run as "interrupted"
        return Result("failed", failed, seconds, log)
    return Result("error", re.findall(r"^ERROR (\S+)", text, re.MULTILINE), seconds, log)


def prepared_copy(scratch: Path, label: str) -> Path:
    copy = scratch / label
    copy.mkdir()
    copy_tree(copy)
    return copy


def apply(copy: Path, m: Mutation) -> None:
    for edit in m.edits:
        path = copy / edit.file
        text = path.read_text()
        if text.count(edit.old) != 1:
            sys.exit(f"{m.name}: the text to change is not in the copy of {edit.file} "
                     "exactly once")
        path.write_text(text.replace(edit.old, edit.new))


def short(test: str) -> str:
    return test.removeprefix("tests/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the mutations whose name contains this text")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the listed tests on the unmutated copy first")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT,
                        help=f"seconds per pytest run (default {RUN_TIMEOUT})")
    args = parser.parse_args()
    mutations = [m for m in MUTATIONS if not args.only or args.only.lower() in m.name.lower()]
    check_targets(MUTATIONS)
    if args.list or not mutations:
        for m in mutations:
            print(f"{m.name}  [{m.files}]  -> {', '.join(map(short, m.tests))}")
        return 0 if mutations else 2
    scratch = Path(tempfile.mkdtemp(prefix="matrix-social-mutations-"))
    print(f"scratch copies in {scratch}", flush=True)
    ok = True
    rows = []
    try:
        if not args.no_baseline:
            tests = tuple(dict.fromkeys(t for m in mutations for t in m.tests))
            copy = prepared_copy(scratch, "baseline")
            check_imports_from(copy)
            result = run_tests(copy, tests, args.timeout * 2)
            print(f"baseline (unmutated, {len(tests)} tests): {result.outcome} in "
                  f"{result.seconds:.0f} s", flush=True)
            if result.outcome != "passed":
                print(result.log.read_text(errors="replace")[-4000:])
                return 1
        for index, m in enumerate(mutations, 1):
            copy = prepared_copy(scratch, f"m{index}")
            check_imports_from(copy)
            apply(copy, m)
            result = run_tests(copy, m.tests, args.timeout)
            caught = result.outcome == "failed"
            ok &= caught
            by = ", ".join(map(short, result.failed)) or "-"
            rows.append((m.name, m.files,
                         "<br>".join(map(short, m.tests)),
                         "yes" if caught else f"NO ({result.outcome})", by,
                         f"{result.seconds:.0f} s"))
            print(f"[{index}/{len(mutations)}] {m.name}: "
                  f"{'caught by ' + by if caught else 'NOT CAUGHT (' + result.outcome + ')'} "
                  f"({result.seconds:.0f} s)", flush=True)
            if not caught:
                print(result.log.read_text(errors="replace")[-3000:])
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print()
    print("| mutation | file | tests run | caught | failing test | time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
