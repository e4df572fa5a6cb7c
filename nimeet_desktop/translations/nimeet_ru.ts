<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru">
<context>
    <name>AuthView</name>
    <message>
        <source>Sign in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Username</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. ada</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Email</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>you@example.org</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create an account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server: {url}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create your account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>I already have an account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No secure keyring on this computer: you will need to sign in again next time</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallView</name>
    <message>
        <source>Room {room}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} joined</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} (presenting)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disconnected from the server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invite link copied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not join the call ({reason})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ControlBar</name>
    <message>
        <source>{action} ({key})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn off microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn on microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn off camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn on camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave the call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop sharing your screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share your screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n participant(s) in the call</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>No screen to share</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DashboardView</name>
    <message>
        <source>Log out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invite link or room id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start or join a call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent rooms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load your rooms. {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No rooms yet: start a new call.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invite link copied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}&apos;s call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not start a call. {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This link is for another server ({server})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Starting the server on this computer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No NIMeet server answers at {url}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That link is for another server ({server})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave this call before joining another one</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessagePlurals</name>
    <message numerus="yes">
        <source>Too many attempts: try again in %n second(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Your session has expired: please sign in again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server did not accept what was entered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This username is already taken</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An account with this email already exists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong email or password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too many attempts: please wait a little</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This room does not exist or was deleted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server does not know this request: is it a NIMeet server?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server does not support this request: it may be an older version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong on the server: please try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server is busy right now: please try again shortly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This call is full</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are already in this call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are no longer in this call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That participant has already left the call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message is too large for the server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server does not understand this version of NIMeet: please update the app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot reach the server: check your connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server did not answer in time: please try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection to the server was lost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server gave an unexpected answer: is it a NIMeet server?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server reported an error: please try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paste an invite link or type a room id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This invite link is too long</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An invite link cannot contain spaces or symbols</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An invite link looks like nimeet://join/&lt;room id&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A web invite link looks like https://&lt;server&gt;/join/&lt;room id&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server address in this link is not valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only nimeet://, https:// and http:// invite links can be opened</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is neither an invite link nor a room id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the server&apos;s address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This server address is too long</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The address must start with https:// or http://</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A server address cannot contain spaces or non-Latin letters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave the user name and password out of the address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave anything after ? or # out of the address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The address has no server name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The port in this address is not valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server name in this address is not valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The IPv6 address in this address is not valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is not a valid server address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The camera cannot be used: it may be unplugged or busy in another app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The microphone cannot be used: it may be unplugged or busy in another app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Screen sharing is not available on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your camera stopped working</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your microphone stopped working</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Screen sharing stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection to the server was closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not rejoin the call after reconnecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong in the call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A device cannot be used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot reach the server: check your connection and the server&apos;s address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server on this computer could not start ({reason})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong: {detail}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PreJoinView</name>
    <message>
        <source>Ready to join?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Room {room}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No camera found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody is in the call yet · {room}</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n participant(s) in the call · {room}</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Invite link copied</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReconnectingOverlay</name>
    <message>
        <source>Reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your call will resume when the connection is back.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ServerView</name>
    <message>
        <source>NIMeet talks to a NIMeet server. Use the one your organisation gave you, or run one on this computer (people on your network can join it too).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start a server on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No NIMeet server answers at this address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Validation</name>
    <message>
        <source>{min}–{max} Latin letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your email address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That does not look like an email address</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ValidationPlurals</name>
    <message numerus="yes">
        <source>At least %n character(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>At most %n character(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>Connection: good</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection: fair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection: poor</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
